/**
 * Bring-your-own-model benchmark on the trained CIFAR-10 ViT: import time, then float images/s of vitpipe's forward
 * and of onnxruntime-node on vitpipe's ONNX export, on the same preprocessed images in the same run (one thread each,
 * batch 1, and each at its best: vitpipe over worker threads on all cores, onnxruntime with its own thread pool and a
 * batch), their agreement, and peak memory. onnxruntime-node is installed on demand (scripts/ort.ts); without it the
 * benchmark reports vitpipe alone.
 * Usage: npm run bench:import -- [--images N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { floatRunner, imageToInput, readFloatModel, runFloatBatch, writeFloatModel } from '../src/float/index.ts';
import { listImages } from '../src/image/index.ts';
import { importCheckpoint } from '../src/import/index.ts';
import { exportOnnx } from '../src/onnx/index.ts';
import { infer, inputToCodes } from '../src/engine/index.ts';
import { quantizeFolder } from '../src/quant/index.ts';
import { isOrtUnavailable, loadOnnxRuntime } from '../scripts/ort.ts';
import { argValue, peakMemoryMiB } from './common.ts';
import { CIFAR_CHECKPOINT, CIFAR_DIR, HAVE_CIFAR, cifarImportOptions } from './cifar.ts';

if (!HAVE_CIFAR) {
  console.log(`bench:import: skipped — needs the CIFAR-10 model and images under ${CIFAR_DIR} (set VITPIPE_SHARED)`);
  process.exit(0);
}
const n = Number(argValue('--images') ?? 500);
const cores = availableParallelism();
const work = mkdtempSync(join(tmpdir(), 'vitpipe-bench-import-'));
const modelDir = join(work, 'm');

let t0 = performance.now();
const { model } = importCheckpoint(CIFAR_CHECKPOINT, cifarImportOptions());
writeFloatModel(modelDir, model);
const importSeconds = (performance.now() - t0) / 1000;
const files = listImages(join(CIFAR_DIR, 'test')).filter((_, i) => i % Math.max(1, Math.floor(5000 / n)) === 0).slice(0, n);
const folder = readFloatModel(modelDir);
const m = folder.manifest;
const g = m.geometry;

// The same preprocessed inputs for both engines (decode and resize are not what is compared).
t0 = performance.now();
const inputs = await Promise.all(files.map((f) => imageToInput(f, m.input)));
const preprocessSeconds = (performance.now() - t0) / 1000;

/** Images/s of `body` over all inputs, after one warm-up pass over a few. */
async function rate(body: (i: number) => unknown | Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(8, inputs.length); i++) await body(i);
  const start = performance.now();
  for (let i = 0; i < inputs.length; i++) await body(i);
  return inputs.length / ((performance.now() - start) / 1000);
}

// The bit-exact integer engine on the same images: the model quantized at w8a8 (256 calibration photos).
const calibFiles = listImages(join(CIFAR_DIR, 'calib')).slice(0, 256);
t0 = performance.now();
const q8 = await quantizeFolder(modelDir, calibFiles, { bits: 'w8a8' });
const quantizeSeconds = (performance.now() - t0) / 1000;
const codes = inputs.map((x) => inputToCodes(x, q8.manifest));
const integerOne = await rate((i) => infer(q8.weights, codes[i]));
const integerHw = await rate((i) => infer(q8.weights, codes[i], { mode: 'hardware', types: q8.types }));

const runner = floatRunner(folder);
const vitpipeLogits: Float64Array[] = new Array(inputs.length);
const vitpipeOne = await rate((i) => (vitpipeLogits[i] = runner.forward(inputs[i])));
t0 = performance.now();
await runFloatBatch(modelDir, files, { threads: cores });
const vitpipeAll = files.length / ((performance.now() - t0) / 1000);

console.log(`bench:import — CIFAR-10 ViT (${g.depth} layers, width ${g.width}, ${g.tokens} tokens), ${inputs.length} test images, ${cores} cores`);
console.log(`  import (zip + pickle → model folder)        ${importSeconds.toFixed(2)} s`);
console.log(`  decode + preprocess, one thread              ${(inputs.length / preprocessSeconds).toFixed(0)} images/s`);
console.log(`  vitpipe float64 forward, 1 thread, batch 1    ${vitpipeOne.toFixed(1)} images/s`);
console.log(`  vitpipe infer end to end, ${cores} worker threads   ${vitpipeAll.toFixed(1)} images/s (PNG → logits, incl. thread start)`);
console.log(`  quantize w8a8, ${calibFiles.length} calibration photos        ${quantizeSeconds.toFixed(1)} s`);
console.log(`  vitpipe integer engine w8a8, 1 thread          ${integerOne.toFixed(1)} images/s ideal, ${integerHw.toFixed(1)} hardware widths`);

const ort = await loadOnnxRuntime({ install: true });
if (isOrtUnavailable(ort)) {
  console.log(`  onnxruntime-node: unavailable — ${ort.unavailable}; no ratio measured`);
} else {
  const bytes = exportOnnx(folder);
  const feed = (i: number, batch = 1) => {
    const per = inputs[0].length;
    const data = new Float32Array(per * batch);
    for (let b = 0; b < batch; b++) data.set(inputs[(i + b) % inputs.length], b * per);
    return { input: new ort.Tensor('float32', data, [batch, g.inChannels, g.imageSize, g.imageSize]) };
  };
  const single = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const ortLogits: Float32Array[] = new Array(inputs.length);
  const ortOne = await rate(async (i) => (ortLogits[i] = (await single.run(feed(i)))['logits'].data as Float32Array));
  const pooled = await ort.InferenceSession.create(bytes, { intraOpNumThreads: cores, graphOptimizationLevel: 'all' });
  const batch = 32;
  const startB = performance.now();
  let done = 0;
  for (let i = 0; i < inputs.length; i += batch, done += batch) await pooled.run(feed(i, batch));
  const ortAll = done / ((performance.now() - startB) / 1000);
  let maxDiff = 0;
  let sameTop1 = 0;
  const argmax = (a: ArrayLike<number>) => Array.prototype.indexOf.call(a, Math.max(...Array.from(a)));
  for (let i = 0; i < inputs.length; i++) {
    for (let c = 0; c < g.numClasses; c++) maxDiff = Math.max(maxDiff, Math.abs(vitpipeLogits[i][c] - ortLogits[i][c]));
    if (argmax(vitpipeLogits[i]) === argmax(ortLogits[i])) sameTop1++;
  }
  await single.release();
  await pooled.release();
  console.log(`  onnxruntime-node float32, 1 thread, batch 1  ${ortOne.toFixed(1)} images/s`);
  console.log(`  onnxruntime-node, ${cores} threads, batch ${batch}       ${ortAll.toFixed(1)} images/s (preprocessed inputs)`);
  console.log(`  ratio vitpipe / onnxruntime, 1 thread        ${(vitpipeOne / ortOne).toFixed(2)}× (goal ≥ 0.5×)`);
  console.log(`  ratio, all cores (vitpipe incl. decode)      ${(vitpipeAll / ortAll).toFixed(2)}×`);
  console.log(`  ratio integer engine (ideal) / onnxruntime float, 1 thread  ${(integerOne / ortOne).toFixed(2)}× (goal ≥ 1×)`);
  console.log(`  agreement: max |Δlogit| ${maxDiff.toExponential(2)}, same top-1 on ${sameTop1} / ${inputs.length}`);
}
console.log(`  peak memory ${peakMemoryMiB().toFixed(0)} MiB`);
rmSync(work, { recursive: true, force: true });
