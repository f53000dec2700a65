import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { floatRunner, imageToInput, type FloatModel, type FloatTrace } from '../../src/float/index.ts';
import { kernelModule, setSimdLinearEnabled, SimdLinear, BLOCK } from '../../src/float/simd-linear.ts';
import { listImages } from '../../src/image/index.ts';
import { importCheckpoint } from '../../src/import/index.ts';
import { prng, randomInput, tinyModel } from '../onnx/reference-forward.ts';
import { CIFAR_CHECKPOINT, CIFAR_DIR, SKIP_NO_CIFAR } from '../shared.ts';

/** The contract: acc = 0; acc += w·x in index order (rounded product, rounded sum); then + bias. */
function reference(w: Float64Array, b: Float64Array, n: number, m: number, x: Float64Array, rows: number): Float64Array {
  const y = new Float64Array(rows * m);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < m; o++) {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += w[o * n + i] * x[r * n + i];
      y[r * m + o] = acc + b[o];
    }
  return y;
}

/** Values over ~24 decades, both signs, with exact zeros and −0 sprinkled in: rounding order shows in the bits. */
function awkward(rand: () => number, length: number): Float64Array {
  return Float64Array.from({ length }, () => {
    const u = rand();
    if (u < 0.03) return 0;
    if (u < 0.05) return -0;
    return (rand() < 0.5 ? -1 : 1) * (1 + rand()) * 2 ** Math.floor(rand() * 80 - 40);
  });
}

/** Index of the first element whose bits differ (Object.is, so −0 ≠ 0 and NaN = NaN), or −1. */
function firstDiff(a: Float64Array, b: Float64Array): number {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

test('the assembled module validates here (Node 20 has WebAssembly SIMD), so the kernel is what runs', () => {
  assert.ok(WebAssembly.validate(kernelModule() as Uint8Array<ArrayBuffer>));
  assert.ok(SimdLinear.create());
});

test('the kernel is bit-identical to the scalar loop on awkward sizes and magnitudes', () => {
  const rand = prng(7);
  const engine = SimdLinear.create()!;
  let cases = 0;
  for (const n of [1, 3, 128, 256])
    for (const m of [1, 3, BLOCK - 1, BLOCK, BLOCK + 1, 130, 384])
      for (const rows of [1, 2, 3, 65]) {
        const w = awkward(rand, n * m);
        const b = awkward(rand, m);
        const x = awkward(rand, rows * n);
        const p = engine.prepare(w, b, n, m)!;
        const y = new Float64Array(rows * m).fill(NaN);
        engine.run(p, x, rows, y);
        const at = firstDiff(y, reference(w, b, n, m, x, rows));
        assert.equal(at, -1, `in ${n} out ${m} rows ${rows}: element ${at}`);
        cases++;
      }
  assert.equal(cases, 4 * 7 * 4);
});

test('the test has teeth: summing in another order changes bits on these values', () => {
  const rand = prng(8);
  const [n, m, rows] = [128, 16, 4];
  const w = awkward(rand, n * m);
  const x = awkward(rand, rows * n);
  const b = new Float64Array(m);
  const want = reference(w, b, n, m, x, rows);
  const reversed = new Float64Array(rows * m);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < m; o++) {
      let acc = 0;
      for (let i = n - 1; i >= 0; i--) acc += w[o * n + i] * x[r * n + i];
      reversed[r * m + o] = acc;
    }
  assert.notEqual(firstDiff(reversed, want), -1);
});

test('several prepared layers share one engine; inputs longer than rows·in and memory growth are handled', () => {
  const rand = prng(9);
  const engine = SimdLinear.create()!;
  const layers = [[128, 384], [128, 128], [256, 128], [5, 11]].map(([n, m]) => {
    const w = awkward(rand, n * m);
    const b = awkward(rand, m);
    return { n, m, w, b, p: engine.prepare(w, b, n, m)! };
  });
  // 65 rows, then 3000 rows (several MiB of scratch: grows the memory), then 65 again, interleaving layers.
  for (const rows of [65, 3000, 65])
    for (const { n, m, w, b, p } of layers) {
      const x = awkward(rand, rows * n + 7); // trailing values beyond rows·n must be ignored
      const y = new Float64Array(rows * m + 3).fill(42);
      engine.run(p, x, rows, y);
      const want = reference(w, b, n, m, x, rows);
      assert.equal(firstDiff(y.subarray(0, rows * m), want), -1, `in ${n} out ${m} rows ${rows}`);
      assert.deepEqual([...y.subarray(rows * m)], [42, 42, 42], 'wrote past rows·out');
    }
  assert.equal(engine.prepare(new Float64Array(0), new Float64Array(4), 0, 4), null, 'in = 0 is left to the scalar code');
});

/** Logits and every traced intermediate of `inputs`, with the SIMD kernel on or off. */
function runAll(model: FloatModel, inputs: Float64Array[], simd: boolean): Float64Array[] {
  setSimdLinearEnabled(simd);
  try {
    const runner = floatRunner(model);
    return inputs.flatMap((input) => {
      const trace: FloatTrace = new Map();
      return [runner.forward(input, trace), ...trace.values()];
    });
  } finally {
    setSimdLinearEnabled(true);
  }
}

function assertSameBits(a: Float64Array[], b: Float64Array[], what: string): void {
  assert.equal(a.length, b.length);
  a.forEach((t, k) => assert.equal(firstDiff(t, b[k]), -1, `${what}: tensor ${k}`));
}

test('the float forward is bit-identical with the SIMD kernel and with scalar JavaScript (tiny random models)', () => {
  for (const opts of [
    { norm: 'post', activation: 'relu', headNorm: true, seed: 1 },
    { norm: 'pre', activation: 'gelu', headNorm: false, seed: 2 },
  ] as const) {
    const model = tinyModel(opts); // 5 tokens: exercises the row-pair kernel and its one-row tail
    const all = randomInput(model, 3, 50 + opts.seed);
    const per = all.length / 3;
    const inputs = [0, 1, 2].map((n) => Float64Array.from(all.subarray(n * per, (n + 1) * per)));
    assertSameBits(runAll(model, inputs, true), runAll(model, inputs, false), model.manifest.name);
  }
});

test('CIFAR-10 ViT: logits and intermediates bit-identical with and without the SIMD kernel', { skip: SKIP_NO_CIFAR }, async () => {
  const { model } = importCheckpoint(CIFAR_CHECKPOINT, { arch: 'torch-encoder', heads: 8, imageSize: 32, mean: [0.4914, 0.4822, 0.4465], std: [0.2023, 0.1994, 0.201] });
  const files = listImages(join(CIFAR_DIR, 'test')).filter((_, i) => i % 500 === 0).slice(0, 6);
  assert.ok(files.length > 0);
  const inputs = await Promise.all(files.map((f) => imageToInput(f, model.manifest.input)));
  assertSameBits(runAll(model, inputs, true), runAll(model, inputs, false), 'cifar');
});
