/**
 * Why a memoised whole-network run still simulates each block's first images in full: per block, at which image
 * entry each process's (and FIFO's) state stops changing from one image to the next, weighted by the process's busy
 * cycles per image, and for how many images each block's boundary timing equals the previous block of the same
 * structure from birth (shifted). Runs the network without replays (about 40 s for hgpipe-deit-tiny).
 * Usage: npm run bench:transient [-- --design hgpipe-deit-tiny|file.json] [-- --images N] [-- --block ATTN0 (list its processes)]
 */
import { loadDesign, structuralKey, type Block } from '../src/ir/index.ts';
import { elaborate } from '../src/sim/elaborate.ts';
import { argValue, peakMemoryMiB } from './common.ts';

const design = loadDesign(argValue('--design') ?? 'hgpipe-deit-tiny');
const images = Number(argValue('--images') ?? 10);
const detail = argValue('--block');
const shapes = new Map<Block, string>();
const shapeOf = (b: Block) => shapes.get(b) ?? shapes.set(b, structuralKey(b)).get(b)!;
// A gate no checkpoint passes: every block is simulated in full, every checkpoint still taken.
const e = elaborate(design.blocks, design.linkDepth, true, undefined, { shapeOf, gate: { firstEntry: Infinity, images: 1 } });
const memo = e.memo!;
const cells = memo.cells;

// Per cell and state part: the part at the previous checkpoint and the last checkpoint at which it changed.
const previous = cells.map(() => [] as string[]);
const lastChange = cells.map(() => [] as number[]);
memo.onCheckpoint = (k, idx, c) => {
  memo.cellState(cells[k], c).forEach((part, i) => {
    const s = part.join(',');
    if (idx > 0 && s !== previous[k][i]) lastChange[k][i] = idx;
    else lastChange[k][i] ??= 0;
    previous[k][i] = s;
  });
};
const t0 = performance.now();
const target = images * design.blocks[design.blocks.length - 1].output.beatsPerImage;
if (!e.sim.run(() => e.sink.beats >= target, 5e7)) throw new Error('the design did not complete (deadlock?) — see vitpipe simulate');
const seconds = (performance.now() - t0) / 1000;

const f = (x: number) => x.toLocaleString('en-US');
console.log(`${design.name}, ${images} images, no replays: ${f(e.sim.now)} cycles, ${f(e.sim.steps)} process steps in ${seconds.toFixed(1)} s`);
console.log('settled: share of the block\'s busy cycles in processes whose state is the same at every later image entry');
console.log(`${'block'.padEnd(12)} entries  ${[0, 1, 2, 3, 4].map((s) => `by ${s}`.padStart(7)).join('')}   ≥ 5   from birth as`);
const names = (k: number) => [...cells[k].procs.map((p) => e.sim.procs[p].name), ...[...cells[k].fifos, cells[k].inB].map((x) => `FIFO ${e.sim.fifos.info[x].name}`), 'output boundary occupancy'];
cells.forEach((cell, k) => {
  const cps = memo.checkpoints[k];
  if (cps.length < 3) return;
  // Busy cycles per image of each process over the last two checkpoints (its steady state).
  const a = cps[cps.length - 2].stats;
  const b = cps[cps.length - 1].stats;
  const busy = cell.procs.map((_, i) => b[i * 4] - a[i * 4]);
  const total = busy.reduce((x, y) => x + y, 0) || 1;
  const shareBy = (s: number) => busy.reduce((acc, v, i) => acc + (lastChange[k][i] <= s ? v : 0), 0) / total;
  const cols = [0, 1, 2, 3, 4].map((s) => `${(100 * shareBy(s)).toFixed(0)} %`.padStart(7)).join('');
  const late = `${(100 * (1 - shareBy(4))).toFixed(0)} %`.padStart(6);
  console.log(`${cell.name.padEnd(12)} ${String(cps.length).padStart(7)}  ${cols}${late}   ${fromBirth(k)}`);
  if (cell.name === detail) {
    const byEntry = new Map<number, string[]>();
    names(k).forEach((n, i) => (byEntry.get(lastChange[k][i]) ?? byEntry.set(lastChange[k][i], []).get(lastChange[k][i])!).push(n.replace(`${cell.name}.`, '')));
    for (const [s, ns] of [...byEntry].sort((x, y) => x[0] - y[0])) console.log(`    settled at entry ${s}: ${ns.join(', ')}`);
  }
});
console.log(`peak memory (maxRSS) ${peakMemoryMiB().toFixed(0)} MB`);

/**
 * Images for which block k's boundary beats (input written and read, output written and read) equal, shifted, those
 * of the previous block of its structure.
 */
function fromBirth(k: number): string {
  const cell = cells[k];
  const ref = [...cells.slice(0, k)].reverse().find((x) => x.shape === cell.shape);
  if (!ref) return '—';
  const written = (f: number) => memo.writes[f]!;
  const read = (f: number) => memo.reads[f]!;
  const delta = written(cell.inB).t[0] - written(ref.inB).t[0];
  // Beats equal (shifted) before the first that differs.
  const same = (x: { t: Int32Array; n: number }, y: { t: Int32Array; n: number }) => {
    const n = Math.min(x.n, y.n);
    for (let i = 0; i < n; i++) if (x.t[i] !== y.t[i] + delta) return i;
    return n;
  };
  const inBeats = Math.min(same(written(cell.inB), written(ref.inB)), same(read(cell.inB), read(ref.inB))) / cell.inPerImage;
  const outPer = design.blocks[k].output.beatsPerImage;
  const outBeats = Math.min(same(written(cell.outB), written(ref.outB)), same(read(cell.outB), read(ref.outB))) / outPer;
  return `${ref.name}: ${Math.min(inBeats, outBeats).toFixed(2)} images (of ${(read(cell.inB).n / cell.inPerImage).toFixed(1)})`;
}
