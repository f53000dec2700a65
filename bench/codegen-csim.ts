/**
 * HLS code generation end to end: generate a design's project, build its C simulation with g++ -O2, run every block's
 * testbench and the whole network, and report generation time, g++ build time, csim time and each PASS/FAIL line.
 *
 * Cases: HG-PIPE's design on its refs (when ../shared/hgpipe exists), and the CIFAR-10 ViT (when ../shared/cifar10
 * exists: post-norm, ReLU, 65 tokens in 66 slots, 8 heads) imported, quantized (200 calibration photos) and planned
 * here — w8a8 on the ZCU102 and w4a8 on the KV260 (heads sharing QKᵀ/softmax/R·V pipelines) — each generated from its
 * quantized folder and checked against that folder's golden tensors.
 *
 * Usage: npm run bench:codegen -- [--only hgpipe|cifar] [--design hgpipe-deit-tiny|file.json] [--jobs 2]
 *                                 [--out dir (projects kept)] [--work dir (CIFAR folders kept and reused)]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateProject, writeProject, type GenerateOptions } from '../src/codegen/index.ts';
import { loadQuantizedFolder } from '../src/engine/index.ts';
import { loadDesign } from '../src/ir/index.ts';
import { loadHardwareTypes } from '../src/refs/index.ts';
import { argValue, peakMemoryMiB, REFS_DIR, SHARED_DIR } from './common.ts';

if (spawnSync('g++', ['--version']).status !== 0 || spawnSync('make', ['--version']).status !== 0) {
  console.log('bench:codegen: skipped — needs g++ and make');
  process.exit(0);
}
const only = argValue('--only');
const designArg = argValue('--design') ?? 'hgpipe-deit-tiny';
const jobs = argValue('--jobs') ?? '2';
const keep = argValue('--out');
const root = keep ? resolve(keep) : mkdtempSync(join(tmpdir(), 'vitpipe-bench-codegen-'));
const seconds = (t0: number) => (performance.now() - t0) / 1000;
const fmt = (x: number | undefined, d = 1) => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(d));

// /usr/bin/time gives the CPU time of make and its compilers; without it only wall time is reported.
const TIME = existsSync('/usr/bin/time') ? ['/usr/bin/time', '-f', '__TIME__ %e %U %S %M'] : [];
function make(dir: string, args: string[]): { out: string; wall: number; cpu?: number; peakMiB?: number; status: number } {
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

interface CaseResult {
  title: string;
  passed: number;
  checks: number;
  status: number;
}

/** Generate, build, run csim; print the figures and every PASS/FAIL line. */
function runCase(title: string, stem: string, opts: GenerateOptions): CaseResult {
  const dir = join(root, stem);
  let t0 = performance.now();
  const project = generateProject(opts);
  rmSync(dir, { recursive: true, force: true });
  writeProject(project, dir);
  const genSeconds = seconds(t0);
  const bytes = project.files.reduce((s, f) => s + f.content.length, 0);

  const build = make(dir, [`-j${jobs}`, 'all']);
  // One attention and one MLP translation unit compiled alone: the per-block cost behind the total.
  const single = (s: string) => {
    rmSync(join(dir, 'build', `${s}.o`), { force: true });
    return make(dir, [`build/${s}.o`]);
  };
  const attnTu = single('attn0');
  const mlpTu = single('mlp0');
  t0 = performance.now();
  const csim = make(dir, ['csim', `REFS=${resolve(opts.weightsDir)}`]);

  const lines = csim.out.split('\n').filter((l) => /\b(PASS|FAIL)\b/.test(l) && !l.startsWith('csim done'));
  const timeOf = (l: string) => Number(/csim ([\d.]+) s/.exec(l)?.[1] ?? NaN);
  const blockLines = lines.filter((l) => !l.startsWith('NETWORK'));
  const networkLine = lines.find((l) => l.startsWith('NETWORK'));
  const passed = lines.filter((l) => /\bPASS\b/.test(l)).length;

  console.log(`bench:codegen — ${title}: design ${opts.design.name}, ${project.blocks.length} blocks, project in ${dir}${keep ? '' : ' (removed afterwards)'}`);
  console.log(`generate:  ${fmt(genSeconds)} s (weights load + engine hardware-mode expectations + emission), ${project.files.length} files, ${(bytes / 2 ** 20).toFixed(1)} MiB`);
  console.log(`g++ build: ${fmt(build.wall)} s wall with make -j${jobs}, ${fmt(build.cpu)} s CPU, peak ${fmt(build.peakMiB, 0)} MiB per compiler`);
  console.log(`           one TU alone: attn0.o ${fmt(attnTu.wall)} s, mlp0.o ${fmt(mlpTu.wall)} s (-O2)`);
  console.log(`csim:      ${fmt(csim.wall)} s wall for all ${blockLines.length} block testbenches + the network (make csim, sequential)`);
  console.log(`           blocks' own csim time: sum ${fmt(blockLines.reduce((s, l) => s + timeOf(l), 0), 2)} s; whole network ${fmt(networkLine ? timeOf(networkLine) : undefined, 2)} s`);
  console.log(`result:    ${passed}/${lines.length} checks PASS, make csim exit status ${csim.status}`);
  console.log('');
  for (const l of lines) console.log(l);
  console.log('');
  return { title, passed, checks: lines.length, status: csim.status };
}

const results: CaseResult[] = [];

// HG-PIPE's design on its refs.
const HG_TYPES = join(SHARED_DIR, 'hgpipe', 'hardware-types.json');
if (only === undefined || only === 'hgpipe') {
  if (!existsSync(join(REFS_DIR, 'patch_embed_input.txt')) || !existsSync(HG_TYPES))
    console.log(`bench:codegen: HG-PIPE case skipped — needs HG-PIPE refs and hardware-types.json under ${SHARED_DIR} (set VITPIPE_SHARED)\n`);
  else results.push(runCase('HG-PIPE refs', 'hgpipe', { design: loadDesign(designArg), weightsDir: REFS_DIR, types: loadHardwareTypes(HG_TYPES) }));
}

// The CIFAR-10 ViT: import, quantize, plan, then generate from each quantized folder.
const CIFAR = join(SHARED_DIR, 'cifar10');
if (only === undefined || only === 'cifar') {
  if (!existsSync(join(CIFAR, 'vit_cifar10.pth'))) console.log(`bench:codegen: CIFAR cases skipped — needs ${CIFAR}/vit_cifar10.pth (set VITPIPE_SHARED)\n`);
  else {
    const workArg = argValue('--work');
    const work = workArg ? resolve(workArg) : join(root, 'cifar-folders');
    mkdirSync(work, { recursive: true });
    const vitpipe = (...args: string[]): number => {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [join(import.meta.dirname, '..', 'bin', 'vitpipe.js'), ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
      if (r.status !== 0) {
        console.error(`vitpipe ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
        process.exit(1);
      }
      return seconds(t0);
    };
    const m = join(work, 'm');
    if (!existsSync(join(m, 'model.json')))
      console.log(`import:    ${fmt(vitpipe('import', '--from', join(CIFAR, 'vit_cifar10.pth'), '--arch', 'torch-encoder', '--heads', '8', '--image-size', '32',
        '--mean', '0.4914,0.4822,0.4465', '--std', '0.2023,0.1994,0.2010', '--classes', 'airplane,automobile,bird,cat,deer,dog,frog,horse,ship,truck', '--out', m))} s`);
    for (const [bits, device] of [['w8a8', 'zcu102'], ['w4a8', 'kv260']] as const) {
      const q = join(work, `q-${bits}`);
      const d = join(work, `d-${bits}-${device}.json`);
      if (!existsSync(join(q, 'quant.json')))
        console.log(`quantize:  ${bits} ${fmt(vitpipe('quantize', '--weights', m, '--calib', join(CIFAR, 'calib'), '--images', '200', '--bits', bits, '--out', q))} s (200 calibration photos)`);
      if (!existsSync(d)) console.log(`plan:      ${bits} on ${device} ${fmt(vitpipe('plan', '--model', q, '--device', device, '--out', d))} s`);
      const t0 = performance.now();
      const { weights } = loadQuantizedFolder(q);
      console.log(`load:      quantized folder ${q} ${fmt(seconds(t0))} s`);
      results.push(runCase(`CIFAR-10 ViT ${bits} on ${device}`, `cifar-${bits}-${device}`,
        { design: loadDesign(d), weightsDir: q, weights, types: loadHardwareTypes(join(q, 'hardware-types.json')) }));
    }
  }
}

console.log('summary:');
for (const r of results) console.log(`  ${r.title.padEnd(28)} ${r.passed}/${r.checks} PASS${r.status === 0 ? '' : ' (make csim failed)'}`);
console.log(`\nbench process peak memory: ${peakMemoryMiB().toFixed(0)} MiB`);
if (!keep) rmSync(root, { recursive: true, force: true });
process.exitCode = results.every((r) => r.status === 0) ? 0 : 1;
