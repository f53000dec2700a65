/**
 * How much would a compiled simulator core gain? The simulator's steady fast path (canIssue + commit on flat int32
 * records, src/sim/core.ts) on a synthetic chain of 108 always-busy processes — about the awake processes per cycle
 * of the DeiT-tiny network run — written once in TypeScript (below) and once in C (sim-floor/kernel.c), run as
 * JavaScript, as native code (cc -O2) and as WebAssembly (clang --target=wasm32 -O2 -fno-builtin: no libc there). Compilers that are missing are
 * skipped with a message. Prints ns per process step for each and the ratio to JavaScript, measured in this run.
 * Usage: npm run bench:sim-floor [-- --cycles N]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { argValue, peakMemoryMiB } from './common.ts';

const cycles = Number(argValue('--cycles') ?? 2_000_000);
const NP = 108;
const SOURCE = join(import.meta.dirname, 'sim-floor', 'kernel.c');

// The kernel, as kernel.c: FIFO record fields and a pipe record of [k, n, accesses, (fifo offset, is-write) × 2, table offset].
const FS = 16, WR = 0, RD = 1, LRD = 2, LWR = 3, DEPTH = 4, LAT = 5, BASE = 6, CAP = 7, PEAK = 8, CWF = 9, PWF = 10, REC = 11;
const NF = NP + 1;
const F = new Int32Array(NF * FS);
const ring = new Int32Array(NF * 4);
const S = new Int32Array(NP * 8);
const N = 4096; // iterations per invocation
// Per process: the steady table (accesses of iteration k) and the idle-run table, as pipe.ts compiles them.
const M = new Uint8Array(NP * 2 * (N + 1));
const awake = new Uint8Array(NP);
// The awake list, downstream first.
const list = Int32Array.from({ length: NP }, (_, j) => NP - 1 - j);

function canIssue(b: number, act: number, c: number): boolean {
  for (let o = b + 3; act !== 0; act >>= 1, o += 2) {
    if ((act & 1) === 0) continue;
    const fo = S[o];
    if (S[o + 1] === 1) {
      if (F[fo + WR] - F[fo + RD] + (F[fo + LRD] === c ? 1 : 0) >= F[fo + DEPTH]) return false;
    } else {
      const r = F[fo + RD];
      if (F[fo + WR] <= r || ring[F[fo + BASE] + (r & F[fo + CAP])] > c - F[fo + LAT]) return false;
    }
  }
  return true;
}

function commit(b: number, act: number, c: number): void {
  for (let o = b + 3; act !== 0; o += 2, act >>= 1) {
    if ((act & 1) === 0) continue;
    const fo = S[o];
    if (S[o + 1] === 1) {
      const n = F[fo + WR];
      ring[F[fo + BASE] + (n & F[fo + CAP])] = c;
      F[fo + WR] = n + 1;
      F[fo + LWR] = c;
      const occ = n + 1 - F[fo + RD] + (F[fo + LRD] === c ? 1 : 0);
      if (occ > F[fo + PEAK]) F[fo + PEAK] = occ;
      if (F[fo + CWF] || F[fo + REC]) throw new Error('no waiters in this kernel');
    } else {
      F[fo + RD]++;
      F[fo + LRD] = c;
      if (F[fo + PWF] || F[fo + REC]) throw new Error('no waiters in this kernel');
    }
  }
}

function runJs(n: number): number {
  F.fill(0);
  for (let f = 0; f < NF; f++) {
    const o = f * FS;
    F[o + DEPTH] = f === 0 || f === NP ? 1 << 30 : 2;
    F[o + LAT] = 1;
    F[o + BASE] = f * 4;
    F[o + CAP] = 3;
    F[o + LRD] = -1;
    F[o + LWR] = -1;
  }
  for (let p = 0; p < NP; p++) {
    S.set([1, N, 2, p * FS, 0, (p + 1) * FS, 1, p * 2 * (N + 1)], p * 8);
    M.fill(3, S[p * 8 + 7], S[p * 8 + 7] + N + 1);
    M.fill(0, S[p * 8 + 7] + N + 1, S[p * 8 + 7] + 2 * (N + 1));
    awake[p] = 1;
  }
  F[WR] = 1 << 29;
  let busy = 0;
  for (let c = 0; c < n; c++) {
    for (let j = 0; j < NP; j++) {
      const p = list[j];
      const b = p * 8;
      let k = S[b];
      awake[p] = 0;
      if (k >= S[b + 1]) k = S[b] = 1; // next invocation (the real exit slot is a slow step)
      const act = M[S[b + 7] + k];
      if (M[S[b + 7] + N + 1 + k + 1] < 4 && canIssue(b, act, c)) {
        commit(b, act, c);
        S[b] = k + 1;
        busy++;
      }
      awake[p] = 1;
    }
    F[NP * FS + RD] = F[NP * FS + WR];
  }
  return busy;
}

interface Row { name: string; nsPerStep: number; busy: number }
const rows: Row[] = [];
const steps = cycles * NP;
const timed = (name: string, f: () => number) => {
  const t0 = performance.now();
  const busy = f();
  rows.push({ name, nsPerStep: ((performance.now() - t0) * 1e6) / steps, busy });
};

runJs(cycles / 10); // warm-up: let the JIT settle first
timed('JavaScript (V8, this process)', () => runJs(cycles));

const dir = mkdtempSync(join(tmpdir(), 'vitpipe-sim-floor-'));
try {
  const cc = ['cc', 'gcc', 'clang'].find((c) => spawnSync(c, ['--version']).status === 0);
  if (!cc) console.log('native: skipped — no C compiler (cc, gcc or clang)');
  else {
    const exe = join(dir, 'kernel');
    const built = spawnSync(cc, ['-O2', '-o', exe, SOURCE], { encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`${cc} failed on ${SOURCE}:\n${built.stderr}`);
    const out = spawnSync(exe, [String(cycles)], { encoding: 'utf8' });
    const r = JSON.parse(out.stdout) as { busy: number; ms: number };
    rows.push({ name: `native (${cc} -O2)`, nsPerStep: (r.ms * 1e6) / steps, busy: r.busy });
  }
  const wasm = join(dir, 'kernel.wasm');
  const wasmBuild = spawnSync('clang', ['--target=wasm32', '-O2', '-fno-builtin', '-nostdlib', '-DWASM', '-Wl,--no-entry', '-o', wasm, SOURCE], { encoding: 'utf8' });
  if (wasmBuild.error || wasmBuild.status !== 0) console.log('WebAssembly: skipped — needs clang with the wasm32 target and wasm-ld (Debian: clang lld)');
  else {
    const { instance } = await WebAssembly.instantiate(readFileSync(wasm));
    const run = instance.exports.run as (n: number) => bigint;
    run(cycles / 10);
    timed('WebAssembly (clang -O2, V8)', () => Number(run(cycles)));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const js = rows[0];
for (const r of rows) {
  if (r.busy !== js.busy) throw new Error(`${r.name}: ${r.busy} busy steps, JavaScript ${js.busy} — the kernels disagree`);
  console.log(`${r.name.padEnd(32)} ${r.nsPerStep.toFixed(2).padStart(6)} ns/step   ${(js.nsPerStep / r.nsPerStep).toFixed(2)}× JavaScript`);
}
console.log(`${NP} processes × ${cycles.toLocaleString('en-US')} cycles = ${steps.toLocaleString('en-US')} steps each (${js.busy.toLocaleString('en-US')} busy, identical in every build)`);
console.log(`peak memory (maxRSS) ${peakMemoryMiB().toFixed(0)} MB`);
