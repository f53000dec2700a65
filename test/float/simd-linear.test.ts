import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { floatRunner, imageToInput, type FloatModel, type FloatTrace } from '../../src/float/index.ts';
import { expectedTensors, type FloatManifest } from '../../src/float/manifest.ts';
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

/** forward.ts's scalar attention products for head h: raw scores (q·scale)·k, then Σ_s a·v into out (from +0). */
function scalarHead(qkv: Float64Array, T: number, D: number, dh: number, h: number, scale: number, a: Float64Array, out: Float64Array): Float64Array {
  const stride = 3 * D;
  const scores = new Float64Array(T * T);
  for (let t = 0; t < T; t++)
    for (let s = 0; s < T; s++) {
      let acc = 0;
      for (let d = 0; d < dh; d++) acc += qkv[t * stride + h * dh + d] * scale * qkv[s * stride + D + h * dh + d];
      scores[t * T + s] = acc;
    }
  for (let t = 0; t < T; t++) {
    for (let d = 0; d < dh; d++) out[t * D + h * dh + d] = 0;
    for (let s = 0; s < T; s++)
      for (let d = 0; d < dh; d++) out[t * D + h * dh + d] += a[t * T + s] * qkv[s * stride + 2 * D + h * dh + d];
  }
  return scores;
}

/** SimdAttention's scores for head h (tokens × tokens, padding dropped) and its head output into out. */
function simdHead(att: NonNullable<ReturnType<SimdLinear['prepareAttention']>>, qkv: Float64Array, h: number, scale: number, a: Float64Array, out: Float64Array): Float64Array {
  const T = att.tokens;
  att.scores(qkv, h, scale);
  const scores = new Float64Array(T * T);
  for (let t = 0; t < T; t++) scores.set(att.s.subarray(t * att.sStride, t * att.sStride + T), t * T);
  att.a.set(a);
  att.weighted(qkv, h, out);
  return scores;
}

test('attention products on the kernel are bit-identical to the scalar loops (awkward sizes, values, ±0)', () => {
  const rand = prng(11);
  let cases = 0;
  for (const T of [1, 2, 3, BLOCK - 1, BLOCK, BLOCK + 1, 65])
    for (const [D, heads] of [[16, 2], [24, 8], [17, 1], [128, 8], [36, 2]]) {
      const dh = D / heads;
      const engine = SimdLinear.create()!;
      const att = engine.prepareAttention(T, D, heads)!;
      const scale = 1 / Math.sqrt(dh);
      for (let rep = 0; rep < 2; rep++) {
        const qkv = awkward(rand, T * 3 * D);
        const want = new Float64Array(T * D).fill(NaN);
        const got = new Float64Array(T * D).fill(NaN);
        for (let h = 0; h < heads; h++) {
          const a = awkward(rand, T * T); // any values: the product does not rely on a being a distribution
          const sw = scalarHead(qkv, T, D, dh, h, scale, a, want);
          const sg = simdHead(att, qkv, h, scale, a, got);
          assert.equal(firstDiff(sg, sw), -1, `scores T ${T} D ${D} heads ${heads} head ${h}`);
        }
        assert.equal(firstDiff(got, want), -1, `head outputs T ${T} D ${D} heads ${heads}`);
        cases++;
      }
    }
  assert.equal(cases, 7 * 5 * 2);
  assert.equal(SimdLinear.create()!.prepareAttention(4, 10, 3), null, 'width not divisible by heads: scalar');
  assert.equal(SimdLinear.create()!.prepareAttention(0, 16, 2), null, 'no tokens: scalar');
});

test('attention: sums of −0 products give +0 on both paths (the kernel\'s zero bias cannot turn −0 into +0)', () => {
  const [T, D, heads] = [9, 16, 2];
  const dh = D / heads;
  const qkv = new Float64Array(T * 3 * D);
  for (let t = 0; t < T; t++)
    for (let j = 0; j < D; j++) {
      qkv[t * 3 * D + j] = -0; // q = −0: every (q·scale)·k with k > 0 is −0
      qkv[t * 3 * D + D + j] = 1 + t;
      qkv[t * 3 * D + 2 * D + j] = -(1 + j); // v < 0 with a = +0 → products −0
    }
  const a = new Float64Array(T * T);
  const att = SimdLinear.create()!.prepareAttention(T, D, heads)!;
  for (let h = 0; h < heads; h++) {
    const want = new Float64Array(T * D);
    const got = new Float64Array(T * D);
    const sw = scalarHead(qkv, T, D, dh, h, 0.5, a, want);
    const sg = simdHead(att, qkv, h, 0.5, a, got);
    assert.ok(sw.every((v) => Object.is(v, 0)) && sg.every((v) => Object.is(v, 0)), 'scores are +0');
    assert.ok(got.subarray(h * dh, h * dh + dh).every((v) => Object.is(v, 0)), 'outputs are +0');
    assert.equal(firstDiff(got, want), -1);
  }
});

test('attention shares an engine with linear layers; memory growth between heads refreshes its views', () => {
  const rand = prng(13);
  const [T, D, heads] = [65, 128, 8];
  const engine = SimdLinear.create()!;
  const att = engine.prepareAttention(T, D, heads)!;
  const [n, m] = [128, 128];
  const p = engine.prepare(awkward(rand, n * m), awkward(rand, m), n, m)!;
  const qkv = awkward(rand, T * 3 * D);
  const want = new Float64Array(T * D);
  const got = new Float64Array(T * D);
  for (let h = 0; h < heads; h++) {
    const rows = 1000 * (h + 1); // each run needs more scratch: the memory grows, detaching att's old views
    engine.run(p, awkward(rand, rows * n), rows, new Float64Array(rows * m));
    const a = awkward(rand, T * T);
    const sw = scalarHead(qkv, T, D, D / heads, h, 0.25, a, want);
    assert.equal(firstDiff(simdHead(att, qkv, h, 0.25, a, got), sw), -1, `scores, head ${h}`);
  }
  assert.equal(firstDiff(got, want), -1);
});

test('the attention test has teeth: (q·k)·scale or q·(scale·k) differ in bits from (q·scale)·k on these values', () => {
  const rand = prng(12);
  const [q, k] = [awkward(rand, 4096), awkward(rand, 4096)];
  const scale = 1 / Math.sqrt(12);
  const differs = (f: (a: number, b: number) => number) => q.some((v, i) => !Object.is(f(v, k[i]), v * scale * k[i]));
  assert.ok(differs((a, b) => a * b * scale));
  assert.ok(differs((a, b) => a * (scale * b)));
});

/** A random model with `tinyModel`'s manifest and weight scales, on another geometry. */
function reshaped(geometry: Partial<FloatManifest['geometry']>, seed: number): FloatModel {
  const base = tinyModel({ norm: 'pre', activation: 'gelu', headNorm: true, seed });
  const manifest: FloatManifest = { ...base.manifest, name: `${base.manifest.name}-reshaped`, geometry: { ...base.manifest.geometry, ...geometry } };
  const rand = prng(seed);
  const tensors = new Map<string, Float32Array>();
  for (const { name, shape } of expectedTensors(manifest)) {
    const fanIn = shape.length > 1 ? shape.slice(1).reduce((a, b) => a * b, 1) : 1;
    const isNormWeight = /norm\d?\.weight$/.test(name) || name === 'head_norm.weight';
    const scale = isNormWeight ? 0.3 : name.endsWith('.bias') ? 0.2 : name === 'cls_token' || name === 'pos_embed' ? 0.5 : 1.5 / Math.sqrt(fanIn);
    const size = shape.reduce((a, b) => a * b, 1);
    tensors.set(name, Float32Array.from({ length: size }, () => (isNormWeight ? 1 : 0) + scale * (2 * rand() - 1)));
  }
  return { manifest, tensors };
}

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

test('the float forward is bit-identical with and without the kernel on attention-awkward geometries', () => {
  // 37 tokens (odd, not a whole block: padded score lanes), head widths 12 and 3 (padded V lanes) and 24.
  for (const [geometry, seed] of [
    [{ imageSize: 12, patchSize: 2, width: 24, heads: 2, tokens: 37 }, 3],
    [{ imageSize: 12, patchSize: 2, width: 24, heads: 8, tokens: 37 }, 4],
    [{ imageSize: 8, patchSize: 2, width: 48, heads: 2, tokens: 12 }, 5], // fewer tokens than patches + 1
  ] as const) {
    const model = reshaped(geometry, seed);
    const all = randomInput(model, 2, 60 + seed);
    const per = all.length / 2;
    const inputs = [0, 1].map((n) => Float64Array.from(all.subarray(n * per, (n + 1) * per)));
    assertSameBits(runAll(model, inputs, true), runAll(model, inputs, false), JSON.stringify(geometry));
  }
});

test('CIFAR-10 ViT: logits and intermediates bit-identical with and without the SIMD kernel', { skip: SKIP_NO_CIFAR }, async () => {
  const { model } = importCheckpoint(CIFAR_CHECKPOINT, { arch: 'torch-encoder', heads: 8, imageSize: 32, mean: [0.4914, 0.4822, 0.4465], std: [0.2023, 0.1994, 0.201] });
  const files = listImages(join(CIFAR_DIR, 'test')).filter((_, i) => i % 500 === 0).slice(0, 6);
  assert.ok(files.length > 0);
  const inputs = await Promise.all(files.map((f) => imageToInput(f, model.manifest.input)));
  assertSameBits(runAll(model, inputs, true), runAll(model, inputs, false), 'cifar');
});
