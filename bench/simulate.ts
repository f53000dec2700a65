/**
 * Benchmark: the whole hgpipe-deit-tiny network (26 blocks), 10 images back to back, as in the authors' 590 s
 * Verilator run. Prints the five per-image figures of images 0 and 9 next to FACTS.md, simulated cycles per second
 * and peak memory. Usage: npm run bench:simulate [-- --images N] [-- --engine reference] [-- --no-memo] [-- --js (no
 * compiled kernel: every step in JavaScript)] [-- --no-periodic (replay a memoised run to its end rather than
 * write its periodic rest down)]
 */
import { hgpipeDeitTiny } from '../src/ir/index.ts';
import { simulateNetwork } from '../src/sim/index.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const images = Number(arg('images', '10'));
const engine = arg('engine', 'fast') as 'fast' | 'reference';
const memo = !process.argv.includes('--no-memo');
const compiled = !process.argv.includes('--js');
const periodicEnd = !process.argv.includes('--no-periodic');
// FACTS.md, whole network, authors' RTL simulation: first in→last in, first out→last out, first in→first out,
// last in→last out, first in→last out.
const RTL: Record<number, number[]> = { 0: [55883, 47811, 768773, 760701, 816584], 9: [57624, 47811, 771109, 761296, 818920] };

// Machine calibration: a trivial typed-array loop (about 1 ns per iteration on an idle modern core), so that a
// reader can tell a slow or shared machine from a slow simulator.
const cal = (() => {
  const a = new Int32Array(1024);
  let s = 0;
  const t = performance.now();
  for (let i = 0; i < 5e7; i++) {
    a[i & 1023] += i;
    s += a[(i * 7) & 1023];
  }
  return { ns: ((performance.now() - t) * 1e6) / 5e7, s };
})();

const design = hgpipeDeitTiny();
const t0 = performance.now();
const u0 = process.cpuUsage();
const r = simulateNetwork(design, { images, engine, memo, compiled, periodicEnd });
const wall = (performance.now() - t0) / 1000;
const u = process.cpuUsage(u0);
// CPU time of the simulation: on a shared machine it varies far less than wall time.
const cpu = (u.user + u.system) / 1e6;
const f = (x: number) => x.toLocaleString('en-US');
console.log(`hgpipe-deit-tiny, ${images} images, ${engine} engine: ${r.completed ? 'completed' : 'DID NOT COMPLETE'}`);
for (const p of r.perImage) {
  const got = [p.firstInLastIn, p.firstOutLastOut, p.firstInFirstOut, p.lastInLastOut, p.firstInLastOut];
  const ref = RTL[p.image];
  const cmp = ref ? `   RTL ${ref.map(f).join(' / ')}   ${got.every((g, k) => g === ref[k]) ? 'exact' : 'differs'}` : '';
  console.log(`image ${p.image}: ${got.map(f).join(' / ')}${cmp}`);
}
console.log(`steady interval ${f(r.steadyInterval)} cycles; output intervals ${r.outputIntervals.map(f).join(', ')}`);
console.log(`drained with ${f(r.extraInputBeats)} further input beats`);
if (r.memo) console.log(`memoised: ${r.memo.replayed.length} of ${design.blocks.length} blocks replayed after repeating an earlier state (first from cycle ${f(Math.min(...r.memo.replayed.map((x) => x.from)))}), ${r.memo.rollbacks} rollbacks, snapshots ${r.memo.snapshotSeconds.toFixed(2)} s${r.memo.allReplayedFrom === null ? '' : `; all replayed from cycle ${f(r.memo.allReplayedFrom)}`}${r.memo.periodicFrom ? `; periodic (${f(r.memo.periodicFrom.period)} cycles) from cycle ${f(r.memo.periodicFrom.cycle)}, the rest written down` : ''}`);
else console.log('not memoised: every block simulated in full');
console.log(`simulated ${f(r.simulatedCycles)} cycles, ${f(r.steps)} process steps (${f(r.compiledSteps)} by the compiled kernel), in ${cpu.toFixed(2)} s CPU, ${wall.toFixed(2)} s wall`);
console.log(`→ ${f(Math.round(r.simulatedCycles / cpu))} simulated cycles per CPU second (${f(Math.round(r.simulatedCycles / wall))} per wall second); ${(590 / wall).toFixed(1)}× the authors' 590 s RTL run (wall)`);
console.log(`machine calibration: trivial loop ${cal.ns.toFixed(2)} ns/iteration (≈1 on an idle modern core); load average ${(await import('node:os')).loadavg()[0].toFixed(1)}`);
console.log(`peak memory (maxRSS) ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
