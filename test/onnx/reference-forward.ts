/**
 * Test-only helpers for the ONNX exporter: a small random FloatModel (seeded) and an obviously correct float64 forward
 * written straight from the contract in src/float/manifest.ts (loops, no cleverness), to compare runtimes against.
 */
import { expectedTensors, FLOAT_MODEL_FORMAT, type FloatManifest, type FloatModel } from '../../src/float/manifest.ts';

export { prng } from '../../src/num/index.ts';
import { prng } from '../../src/num/index.ts';

export interface TinyOptions {
  norm: 'pre' | 'post';
  activation: 'relu' | 'gelu';
  headNorm: boolean;
  seed: number;
}

/** imageSize 8, patch 4, width 16, depth 2, heads 2, mlpHidden 32, classes 5 (tokens 5), random weights. */
export function tinyModel(o: TinyOptions): FloatModel {
  const manifest: FloatManifest = {
    format: FLOAT_MODEL_FORMAT,
    version: 1,
    name: `tiny-${o.norm}-${o.activation}${o.headNorm ? '-headnorm' : ''}`,
    source: { file: 'random', family: 'torch-encoder', sha256: '0'.repeat(64) },
    geometry: { imageSize: 8, patchSize: 4, inChannels: 3, width: 16, depth: 2, heads: 2, mlpHidden: 32, numClasses: 5, tokens: 5 },
    block: { norm: o.norm, activation: o.activation, eps: 1e-5 },
    head: { norm: o.headNorm, eps: 1e-6 },
    input: { resize: 9, crop: 8, interpolation: 'bicubic', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
    classes: ['ant', 'bee', 'cat', 'dog', 'eel'],
  };
  const tensors = randomTensors(manifest, o.seed);
  return { manifest, tensors };
}

/** Seeded random canonical tensors for a manifest: LayerNorm weights near 1, fan-in-scaled matrices, small biases. */
export function randomTensors(manifest: FloatManifest, seed: number): Map<string, Float32Array> {
  const rand = prng(seed);
  const tensors = new Map<string, Float32Array>();
  for (const { name, shape } of expectedTensors(manifest)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.length > 1 ? shape.slice(1).reduce((a, b) => a * b, 1) : 1;
    const isNormWeight = /norm\d?\.weight$/.test(name) || name === 'head_norm.weight';
    const scale = isNormWeight ? 0.3 : name.endsWith('.bias') ? 0.2 : name === 'cls_token' || name === 'pos_embed' ? 0.5 : 1.5 / Math.sqrt(fanIn);
    const t = new Float32Array(size);
    for (let i = 0; i < size; i++) t[i] = (isNormWeight ? 1 : 0) + scale * (2 * rand() - 1);
    tensors.set(name, t);
  }
  return tensors;
}

/** Random normalised input [n, C, S, S] (values roughly in the range (v/255 − mean)/std gives). */
export function randomInput(model: FloatModel, n: number, seed: number): Float32Array {
  const { inChannels: C, imageSize: S } = model.manifest.geometry;
  const rand = prng(seed);
  return Float32Array.from({ length: n * C * S * S }, () => 4.4 * rand() - 2.1);
}

type Mat = number[][]; // [rows][cols], float64

function layerNorm(x: Mat, w: Float32Array, b: Float32Array, eps: number): Mat {
  return x.map((row) => {
    const mean = row.reduce((a, v) => a + v, 0) / row.length;
    const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / row.length; // biased
    const inv = 1 / Math.sqrt(variance + eps);
    return row.map((v, j) => (v - mean) * inv * w[j] + b[j]);
  });
}

/** y = x·Wᵀ + b, W stored [out, in]. */
function linear(x: Mat, w: Float32Array, b: Float32Array): Mat {
  const out = b.length;
  const inp = w.length / out;
  return x.map((row) =>
    Array.from({ length: out }, (_, o) => {
      let s = b[o];
      for (let i = 0; i < inp; i++) s += row[i] * w[o * inp + i];
      return s;
    }),
  );
}

/** erf to ~1e-15 (Taylor series near 0, continued fraction for erfc further out). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(ax) = exp(-ax²)/√π · 1/(ax + 1/2/(ax + 1/(ax + 3/2/(ax + …)))), evaluated backwards.
  let f = 0;
  for (let k = 60; k >= 1; k--) f = k / 2 / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
}

const gelu = (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2));
const relu = (v: number) => Math.max(0, v);
const add = (a: Mat, b: Mat): Mat => a.map((row, i) => row.map((v, j) => v + b[i][j]));

/** Logits [n][K] in float64 for a batch [n, C, S, S] laid out row-major. */
export function referenceForward(model: FloatModel, input: Float32Array, n: number): number[][] {
  const m = model.manifest;
  const { imageSize: S, patchSize: P, inChannels: C, width: D, depth, heads, numClasses: K } = m.geometry;
  const t = (name: string) => {
    const v = model.tensors.get(name);
    if (!v) throw new Error(`missing ${name}`);
    return v;
  };
  const g = S / P;
  const dh = D / heads;
  const results: number[][] = [];
  for (let img = 0; img < n; img++) {
    const px = (c: number, y: number, x: number) => input[((img * C + c) * S + y) * S + x];
    // Patch embed: Conv2d kernel = stride = P, patches in row-major grid order; CLS prepended; pos_embed added.
    const w = t('patch_embed.weight');
    const pb = t('patch_embed.bias');
    const cls = t('cls_token');
    const pos = t('pos_embed');
    let x: Mat = [Array.from(cls, Number)];
    for (let gy = 0; gy < g; gy++)
      for (let gx = 0; gx < g; gx++) {
        const row: number[] = [];
        for (let d = 0; d < D; d++) {
          let s = pb[d];
          for (let c = 0; c < C; c++)
            for (let ky = 0; ky < P; ky++)
              for (let kx = 0; kx < P; kx++) s += w[((d * C + c) * P + ky) * P + kx] * px(c, gy * P + ky, gx * P + kx);
          row.push(s);
        }
        x.push(row);
      }
    x = x.map((row, i) => row.map((v, j) => v + pos[i * D + j]));

    const attn = (h: Mat, b: string): Mat => {
      const qkv = linear(h, t(`${b}.attn.qkv.weight`), t(`${b}.attn.qkv.bias`));
      const out: Mat = h.map(() => new Array<number>(D).fill(0));
      for (let hd = 0; hd < heads; hd++) {
        const q = (i: number, j: number) => qkv[i][hd * dh + j] / Math.sqrt(dh);
        const k = (i: number, j: number) => qkv[i][D + hd * dh + j];
        const v = (i: number, j: number) => qkv[i][2 * D + hd * dh + j];
        for (let i = 0; i < h.length; i++) {
          const scores = h.map((_, jt) => {
            let s = 0;
            for (let j = 0; j < dh; j++) s += q(i, j) * k(jt, j);
            return s;
          });
          const mx = Math.max(...scores);
          const e = scores.map((s) => Math.exp(s - mx));
          const z = e.reduce((a, b2) => a + b2, 0);
          for (let j = 0; j < dh; j++) {
            let s = 0;
            for (let jt = 0; jt < h.length; jt++) s += (e[jt] / z) * v(jt, j);
            out[i][hd * dh + j] = s;
          }
        }
      }
      return linear(out, t(`${b}.attn.proj.weight`), t(`${b}.attn.proj.bias`));
    };
    const act = m.block.activation === 'gelu' ? gelu : relu;
    const mlp = (h: Mat, b: string): Mat =>
      linear(
        linear(h, t(`${b}.mlp.fc1.weight`), t(`${b}.mlp.fc1.bias`)).map((row) => row.map(act)),
        t(`${b}.mlp.fc2.weight`),
        t(`${b}.mlp.fc2.bias`),
      );
    const norm = (h: Mat, b: string, which: 'norm1' | 'norm2') => layerNorm(h, t(`${b}.${which}.weight`), t(`${b}.${which}.bias`), m.block.eps);

    for (let i = 0; i < depth; i++) {
      const b = `blocks.${i}`;
      if (m.block.norm === 'pre') {
        x = add(x, attn(norm(x, b, 'norm1'), b));
        x = add(x, mlp(norm(x, b, 'norm2'), b));
      } else {
        x = norm(add(x, attn(x, b)), b, 'norm1');
        x = norm(add(x, mlp(x, b)), b, 'norm2');
      }
    }
    let c: Mat = [x[0]];
    if (m.head.norm) c = layerNorm(c, t('head_norm.weight'), t('head_norm.bias'), m.head.eps);
    const logits = linear(c, t('head.weight'), t('head.bias'))[0];
    if (logits.length !== K) throw new Error('bad head');
    results.push(logits);
  }
  return results;
}
