/**
 * HLS code generation end to end: generate a design's project, build its C simulation with g++ -O2, run every block's
 * testbench and the whole network, and report generation time, g++ build time, csim time and each PASS/FAIL line.
 * Usage: npm run bench:codegen -- [--design hgpipe-deit-tiny|file.json] [--jobs 2] [--out dir (kept)]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateProject, writeProject } from '../src/codegen/index.ts';
import { loadDesign } from '../src/ir/index.ts';
import { loadHardwareTypes } from '../src/refs/index.ts';
import { argValue, peakMemoryMiB, REFS_DIR, SHARED_DIR } from './common.ts';

const TYPES = join(SHARED_DIR, 'hgpipe', 'hardware-types.json');
if (!existsSync(join(REFS_DIR, 'patch_embed_input.txt')) || !existsSync(TYPES)) {
  console.log(`bench:codegen: skipped — needs HG-PIPE refs and hardware-types.json under ${SHARED_DIR} (set VITPIPE_SHARED)`);
  process.exit(0);
}
if (spawnSync('g++', ['--version']).status !== 0 || spawnSync('make', ['--version']).status !== 0) {
  console.log('bench:codegen: skipped — needs g++ and make');
  process.exit(0);
}
const designArg = argValue('--design') ?? 'hgpipe-deit-tiny';
const jobs = argValue('--jobs') ?? '2';
const keep = argValue('--out');
const dir = keep ?? mkdtempSync(join(tmpdir(), 'vitpipe-bench-codegen-'));
const seconds = (t0: number) => (performance.now() - t0) / 1000;

// /usr/bin/time gives the CPU time of make and its compilers; without it only wall time is reported.
const TIME = existsSync('/usr/bin/time') ? ['/usr/bin/time', '-f', '__TIME__ %e %U %S %M'] : [];
function make(args: string[]): { out: string; wall: number; cpu?: number; peakMiB?: number; status: number } {
  const t0 = performance.now();
  const cmd = [...TIME, 'make', '-C', dir, ...args];
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = seconds(t0);
  const m = /__TIME__ ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (r.status !== 0 && !args.includes('csim')) {
    console.error(r.stdout.slice(-4000), r.stderr.slice(-4000));
    process.exit(1);
  }
  return { out: r.stdout, wall, cpu: m ? Number(m[2]) + Number(m[3]) : undefined, peakMiB: m ? Number(m[4]) / 1024 : undefined, status: r.status ?? 1 };
}

let t0 = performance.now();
const design = loadDesign(designArg);
const project = generateProject({ design, weightsDir: REFS_DIR, types: loadHardwareTypes(TYPES) });
writeProject(project, dir);
const genSeconds = seconds(t0);
const bytes = project.files.reduce((s, f) => s + f.content.length, 0);

make(['clean']);
const build = make([`-j${jobs}`, 'all']);
// One attention and one MLP translation unit compiled alone: the per-block cost behind the total.
const single = (stem: string) => {
  rmSync(join(dir, 'build', `${stem}.o`), { force: true });
  return make([`build/${stem}.o`]);
};
const attnTu = single('attn0');
const mlpTu = single('mlp0');
t0 = performance.now();
const csim = make(['csim', `REFS=${REFS_DIR}`]);

const lines = csim.out.split('\n').filter((l) => /\b(PASS|FAIL)\b/.test(l) && !l.startsWith('csim done'));
const timeOf = (l: string) => Number(/csim ([\d.]+) s/.exec(l)?.[1] ?? NaN);
const blockLines = lines.filter((l) => !l.startsWith('NETWORK'));
const networkLine = lines.find((l) => l.startsWith('NETWORK'));
const passed = lines.filter((l) => /\bPASS\b/.test(l)).length;
const fmt = (x: number | undefined, d = 1) => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(d));

console.log(`bench:codegen — design ${design.name}, ${project.blocks.length} blocks, project in ${dir}${keep ? '' : ' (removed afterwards)'}`);
console.log(`generate:  ${fmt(genSeconds)} s (weights load + engine hardware-mode expectations + emission), ${project.files.length} files, ${(bytes / 2 ** 20).toFixed(1)} MiB`);
console.log(`g++ build: ${fmt(build.wall)} s wall with make -j${jobs}, ${fmt(build.cpu)} s CPU, peak ${fmt(build.peakMiB, 0)} MiB per compiler`);
console.log(`           one TU alone: attn0.o ${fmt(attnTu.wall)} s, mlp0.o ${fmt(mlpTu.wall)} s (-O2)`);
console.log(`csim:      ${fmt(csim.wall)} s wall for all ${blockLines.length} block testbenches + the network (make csim, sequential)`);
console.log(`           blocks' own csim time: sum ${fmt(blockLines.reduce((s, l) => s + timeOf(l), 0), 2)} s; whole network ${fmt(networkLine ? timeOf(networkLine) : undefined, 2)} s`);
console.log(`result:    ${passed}/${lines.length} checks PASS, make csim exit status ${csim.status}`);
console.log('');
for (const l of lines) console.log(l);
console.log(`\nbench process peak memory: ${peakMemoryMiB().toFixed(0)} MiB`);
if (!keep) rmSync(dir, { recursive: true, force: true });
process.exitCode = csim.status === 0 ? 0 : 1;
