/**
 * Engine speed on this machine. First, whole processes as users run them, against the numpy peer in the same
 * minutes (engine-whole.ts): `vitpipe infer --json` on the first 96 sample photos, ideal and hardware, vs the peer's
 * eval with 2 processes; times, ratios, images/s, peak memory. Then steady-state images/s of the integer network over a
 * worker pool on all cores (and one thread), and where the time goes inside one image (reference operators and the
 * fast path). Usage: npm run bench:engine -- [--whole-images N] [--rounds N] [--images N] [--threads N] [--whole-only]
 */
import { availableParallelism, loadavg } from 'node:os';
import { infer, runAttention, runBatch, runHead, runMlp, runPatchEmbed } from '../src/engine/index.ts';
import { listImages } from '../src/image/index.ts';
import { MODEL_ZOO } from '../src/model/index.ts';
import { idealArith, layerNormQuant, matmulPacked, softmaxQuant, tableRequant, type ArithMode } from '../src/ops/index.ts';
import { loadWeights, readRefsInt32 } from '../src/refs/index.ts';
import { argValue, IMAGENET_SAMPLE, peakMemoryMiB, REFS_DIR, requireShared } from './common.ts';
import { peerMissing, wholeProcess, type WholeProcessResult } from './engine-whole.ts';

requireShared('bench:engine');
{
  const count = Number(argValue('--whole-images') ?? 96);
  const rounds = Number(argValue('--rounds') ?? 3);
  const missing = peerMissing();
  console.log(`whole process, first ${count} photos of imagenet-sample, JPEG → top-5, ${availableParallelism()} cores, ${rounds} alternating rounds (medians):`);
  if (missing) console.log(`  peer skipped: ${missing}`);
  const show = (r: WholeProcessResult) => {
    const line = (name: string, run: { seconds: number; cpu?: number; peakMiB?: number }) =>
      `  ${name.padEnd(36)} ${run.seconds.toFixed(2).padStart(6)} s  ${(r.images / run.seconds).toFixed(1).padStart(5)} images/s  ` +
      `CPU ${run.cpu?.toFixed(1) ?? '?'} s  peak ${run.peakMiB?.toFixed(0) ?? '?'} MiB (largest process)`;
    console.log(line('vitpipe infer (ideal)', r.ideal));
    console.log(line('vitpipe infer --mode hardware', r.hardware));
    if (r.peer) {
      console.log(line('numpy peer (eval --jobs 2)', r.peer));
      console.log(`  peer time / vitpipe time: ideal ×${(r.peer.seconds / r.ideal.seconds).toFixed(2)} (goal ≥ 2), hardware ×${(r.peer.seconds / r.hardware.seconds).toFixed(2)} (goal ≥ 1.5)`);
      if (r.peer.cpu && r.ideal.cpu && r.hardware.cpu)
        console.log(`  peer CPU / vitpipe CPU:   ideal ×${(r.peer.cpu / r.ideal.cpu).toFixed(2)}, hardware ×${(r.peer.cpu / r.hardware.cpu).toFixed(2)} (less sensitive to a loaded machine)`);
      console.log(`  load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    }
  };
  show(wholeProcess(IMAGENET_SAMPLE, count, rounds, (i) => console.log(`  round ${i + 1} of ${rounds} done`)));
  if (process.argv.includes('--whole-only')) process.exit(0);
}
const images = Number(argValue('--images') ?? 48);
const threads = Number(argValue('--threads') ?? availableParallelism());
const files = listImages(IMAGENET_SAMPLE).slice(0, images);
const cfg = MODEL_ZOO['hgpipe-deit-tiny'];

/**
 * Steady-state images/s over a worker pool: two runs of different lengths pay the same start-up (threads, weight
 * loading, JIT), so their difference measures the throughput alone. CPU seconds per image (all threads of this
 * process) come from the same difference and are robust on a shared machine.
 */
async function imagesPerSecond(mode: ArithMode, nThreads: number, n: number): Promise<{ perSecond: number; cpuPerImage: number }> {
  const req = { weightsDir: REFS_DIR, modes: [mode], maxWrapEvents: 0 };
  const run = async (count: number) => {
    const inputs = files.slice(0, count).map((file) => ({ kind: 'image' as const, file }));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await runBatch(inputs, req, { threads: nThreads });
    const cpu = process.cpuUsage(cpu0);
    return { seconds: (performance.now() - t0) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
  };
  const short = Math.max(nThreads, Math.floor(n / 4));
  const a = await run(short);
  const b = await run(n);
  return { perSecond: (n - short) / (b.seconds - a.seconds), cpuPerImage: (b.cpu - a.cpu) / (n - short) };
}

// Where the time goes: each operator of one image, run alone on the reference tensors (single thread).
function breakdown(): Array<[string, number]> {
  const w = loadWeights(REFS_DIR, cfg);
  const T = cfg.tokens;
  const C = cfg.width;
  const arith = idealArith('bench');
  const read = (name: string, shape: number[]) => readRefsInt32(REFS_DIR, name, shape);
  const ln = read('attn_0_lnq_output', [T, C]);
  const g = read('mlp_0_geluq_output', [T, 768]);
  const scores = read('attn_0_softmaxq_input', [3, T, T]);
  const x = read('attn_0_input', [T, C]);
  const patches = read('patch_embed_input', [T, 768]);
  const mlpIn = read('mlp_0_input', [T, C]);
  const geluIn = read('mlp_0_geluq_input', [T, 768]);
  const headIn = read('head_input', [T, C]);
  // CPU time of this thread (the pool is closed by now): robust on a shared machine, unlike wall time.
  const time = (reps: number, f: () => void) => {
    f();
    const c0 = process.cpuUsage();
    for (let i = 0; i < reps; i++) f();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000 / reps;
  };
  const fastImage = read('patch_embed_input', [T, 768]);
  const perImage: Array<[string, number]> = [
    ['whole network, fast path', time(5, () => infer(w, fastImage))],
    ['whole network, reference operators', time(3, () => infer(w, fastImage, { reference: true }))],
    ['reference operators:', 0],
    ['patch embedding (8-bit MAC)', time(5, () => runPatchEmbed(cfg, w.patchEmbed, patches, arith))],
    ['attention blocks ×12', 12 * time(5, () => runAttention(cfg, 0, w.attention[0], x, arith))],
    ['  of which q/k/v/o matmuls', 12 * 4 * time(10, () => matmulPacked(ln, T, w.attention[0].q.weights, w.attention[0].q.bias))],
    ['  of which softmax', 12 * time(10, () => softmaxQuant(scores, 3 * T, T, w.attention[0].softmax, arith))],
    ['  of which LayerNorm', 12 * time(10, () => layerNormQuant(x, T, C, w.attention[0].ln, arith, '__attn_if_t'))],
    ['MLP blocks ×12', 12 * time(5, () => runMlp(cfg, 0, w.mlp[0], mlpIn, arith))],
    ['  of which fc1', 12 * time(10, () => matmulPacked(ln, T, w.mlp[0].fc1.weights, w.mlp[0].fc1.bias))],
    ['  of which fc2', 12 * time(10, () => matmulPacked(g, T, w.mlp[0].fc2.weights, w.mlp[0].fc2.bias))],
    ['  of which GELU requant', 12 * time(10, () => tableRequant(geluIn, w.mlp[0].gelu, arith, '__gelu_cursor_t', 'gelu'))],
    ['head', time(20, () => runHead(cfg, w.head, headIn, arith))],
  ];
  return perImage;
}

console.log(`engine throughput, ${files.length} ImageNet photos (JPEG → logits), ${threads} worker threads on ${availableParallelism()} cores`);
for (const mode of ['ideal', 'hardware'] as const) {
  const pool = await imagesPerSecond(mode, threads, files.length);
  const single = await imagesPerSecond(mode, 1, Math.min(16, files.length));
  console.log(
    `  ${mode.padEnd(8)} ${pool.perSecond.toFixed(2)} images/s on ${threads} threads (${single.perSecond.toFixed(2)} images/s on 1 thread, ×${(pool.perSecond / single.perSecond).toFixed(2)}); ` +
      `CPU ${(1000 * pool.cpuPerImage).toFixed(0)} ms per image (${(threads / pool.cpuPerImage).toFixed(1)} images/s if ${threads} cores were free)`,
  );
}
console.log('where the time goes (one image, one thread, CPU ms; sub-rows are parts of the row above):');
for (const [name, ms] of breakdown()) console.log(`  ${name.padEnd(36)} ${ms ? ms.toFixed(1).padStart(7) + ' ms' : ''}`);
console.log(`peak memory ${peakMemoryMiB().toFixed(0)} MiB`);
