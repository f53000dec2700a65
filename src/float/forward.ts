import type { FloatModel } from './manifest.ts';
import { SimdLinear } from './simd-linear.ts';

/**
 * The float forward pass of a model folder, in float64 throughout (the weights are float32, converted exactly), so
 * that it agrees with an independent float64 implementation on every prediction: the CIFAR model's closest top-two
 * logits are 5e-5 apart, which float32 accumulation can flip. Semantics: `manifest.ts`.
 */

interface Linear {
  w: Float64Array; // out × in
  b: Float64Array;
  inDim: number;
  outDim: number;
}
interface Norm {
  g: Float64Array;
  b: Float64Array;
  eps: number;
}
interface Block {
  norm1: Norm;
  qkv: Linear;
  proj: Linear;
  norm2: Norm;
  fc1: Linear;
  fc2: Linear;
}

/** Intermediate tensors of one forward pass, by canonical name (for tests and for calibrating quantization). */
export type FloatTrace = Map<string, Float64Array>;

export interface FloatRunner {
  readonly model: FloatModel;
  /** One normalised image, C × H × W row-major → logits. `trace`, when given, receives every intermediate. */
  forward(input: Float64Array, trace?: FloatTrace): Float64Array;
}

function f64(t: Float32Array | undefined, name: string): Float64Array {
  if (!t) throw new Error(`float model lacks tensor ${name}`); // folder.ts has checked the set; a bug if reached
  return Float64Array.from(t);
}

export function floatRunner(model: FloatModel): FloatRunner {
  const { manifest, tensors } = model;
  const g = manifest.geometry;
  const get = (name: string): Float64Array => f64(tensors.get(name), name);
  const linear = (name: string, inDim: number, outDim: number): Linear => ({ w: get(`${name}.weight`), b: get(`${name}.bias`), inDim, outDim });
  const norm = (name: string, eps: number): Norm => ({ g: get(`${name}.weight`), b: get(`${name}.bias`), eps });
  const D = g.width;
  const H = g.mlpHidden;
  const eps = manifest.block.eps;
  const blocks: Block[] = [];
  for (let i = 0; i < g.depth; i++) {
    const p = `blocks.${i}`;
    blocks.push({
      norm1: norm(`${p}.norm1`, eps),
      qkv: linear(`${p}.attn.qkv`, D, 3 * D),
      proj: linear(`${p}.attn.proj`, D, D),
      norm2: norm(`${p}.norm2`, eps),
      fc1: linear(`${p}.mlp.fc1`, D, H),
      fc2: linear(`${p}.mlp.fc2`, H, D),
    });
  }
  // The blocks' linear layers (the hot spot) on the wasm SIMD kernel, their weights copied in once, here.
  const linearRows = simdLinearRows(blocks.flatMap((blk) => [blk.qkv, blk.proj, blk.fc1, blk.fc2]));
  // Attention's two products per head (q·kᵀ, p·v) on the same kernel, own engine; null → scalar loops in attention().
  const simdAttention = SimdLinear.create()?.prepareAttention(g.tokens, D, g.heads) ?? null;
  const patchElements = g.inChannels * g.patchSize * g.patchSize;
  const embed = linear('patch_embed', patchElements, D); // Conv2d weight [D, C, P, P] = [D, C·P·P] in (c, ky, kx) order
  const cls = get('cls_token');
  const pos = get('pos_embed');
  const headNorm = manifest.head.norm ? norm('head_norm', manifest.head.eps) : undefined;
  const head = linear('head', D, g.numClasses);
  const T = g.tokens;
  const heads = g.heads;
  const dh = D / heads;
  const scale = 1 / Math.sqrt(dh);
  const postNorm = manifest.block.norm === 'post';
  const act = manifest.block.activation === 'relu' ? relu : gelu;

  // Work buffers, reused across images (one runner per thread).
  const x = new Float64Array(T * D);
  const normed = new Float64Array(T * D);
  const qkv = new Float64Array(T * 3 * D);
  const attnOut = new Float64Array(T * D);
  const branch = new Float64Array(T * D);
  const hidden = new Float64Array(T * H);
  const scores = new Float64Array(T);
  const patch = new Float64Array(patchElements);

  function forward(input: Float64Array, trace?: FloatTrace): Float64Array {
    const { imageSize: S, patchSize: P, inChannels: C } = g;
    if (input.length !== C * S * S) throw new RangeError(`input has ${input.length} values, expected ${C}×${S}×${S}`);
    const grid = S / P;
    // Patch embedding: token 1 + py·grid + px; then CLS, then the position embedding.
    x.set(cls, 0);
    for (let py = 0; py < grid; py++)
      for (let px = 0; px < grid; px++) {
        let k = 0;
        for (let c = 0; c < C; c++)
          for (let ky = 0; ky < P; ky++) {
            const row = (c * S + py * P + ky) * S + px * P;
            for (let kx = 0; kx < P; kx++) patch[k++] = input[row + kx];
          }
        const t = 1 + py * grid + px;
        if (t >= T) continue; // a model running fewer tokens than patches drops the last ones
        matVec(embed, patch, 0, x, t * D);
      }
    for (let i = 0; i < T * D; i++) x[i] += pos[i];
    trace?.set('patch_embed', x.slice());

    blocks.forEach((blk, bi) => {
      const at = `blocks.${bi}`;
      // Attention sub-block.
      const attnIn = postNorm ? x : layerNorm(blk.norm1, x, normed, T);
      trace?.set(`${at}.attn.in`, attnIn.slice()); // what the q/k/v matmuls see
      linearRows(blk.qkv, attnIn, T, qkv);
      trace?.set(`${at}.attn.qkv`, qkv.slice());
      const rowMax = trace ? new Float64Array(heads * T) : undefined;
      attention(qkv, attnOut, rowMax);
      if (rowMax) trace!.set(`${at}.attn.pmax`, rowMax);
      trace?.set(`${at}.attn.heads`, attnOut.slice());
      linearRows(blk.proj, attnOut, T, branch);
      for (let i = 0; i < T * D; i++) x[i] += branch[i];
      trace?.set(`${at}.attn.sum`, x.slice());
      if (postNorm) layerNorm(blk.norm1, x, x, T);
      trace?.set(`${at}.attn`, x.slice());
      // MLP sub-block.
      const mlpIn = postNorm ? x : layerNorm(blk.norm2, x, normed, T);
      trace?.set(`${at}.mlp.in`, mlpIn.slice());
      linearRows(blk.fc1, mlpIn, T, hidden);
      trace?.set(`${at}.mlp.fc1`, hidden.slice());
      for (let i = 0; i < T * H; i++) hidden[i] = act(hidden[i]);
      trace?.set(`${at}.mlp.act`, hidden.slice());
      linearRows(blk.fc2, hidden, T, branch);
      for (let i = 0; i < T * D; i++) x[i] += branch[i];
      trace?.set(`${at}.mlp.sum`, x.slice());
      if (postNorm) layerNorm(blk.norm2, x, x, T);
      trace?.set(`${at}.mlp`, x.slice());
    });

    const clsRow = x.slice(0, D);
    if (headNorm) layerNorm(headNorm, clsRow, clsRow, 1);
    trace?.set('head.in', clsRow.slice());
    const logits = new Float64Array(g.numClasses);
    matVec(head, clsRow, 0, logits, 0);
    trace?.set('logits', logits.slice());
    return logits;
  }

  /** softmax((q_h·scale) k_hᵀ) v_h for every head, heads side by side in `out` (T × D). */
  /** `rowMax`, when given, receives each (head, query) row's largest probability, 1/Σe (for calibration). */
  function attention(qkvRows: Float64Array, out: Float64Array, rowMax?: Float64Array): void {
    if (simdAttention) {
      // Bit-identical to the loops below (SimdAttention's comment says why): both products of a head on the kernel,
      // between them the same scalar softmax in the same order (max, exp, sum, divide), row by row.
      for (let h = 0; h < heads; h++) {
        simdAttention.scores(qkvRows, h, scale);
        const { s: sc, sStride, a } = simdAttention;
        for (let t = 0; t < T; t++) {
          const sb = t * sStride;
          const ab = t * T;
          let max = -Infinity;
          for (let s = 0; s < T; s++) if (sc[sb + s] > max) max = sc[sb + s];
          let sum = 0;
          for (let s = 0; s < T; s++) {
            const e = Math.exp(sc[sb + s] - max);
            a[ab + s] = e;
            sum += e;
          }
          for (let s = 0; s < T; s++) a[ab + s] /= sum;
          if (rowMax) rowMax[h * T + t] = 1 / sum;
        }
        simdAttention.weighted(qkvRows, h, out);
      }
      return;
    }
    const stride = 3 * D;
    out.fill(0);
    for (let h = 0; h < heads; h++) {
      const qo = h * dh;
      const ko = D + h * dh;
      const vo = 2 * D + h * dh;
      for (let t = 0; t < T; t++) {
        const qb = t * stride + qo;
        let max = -Infinity;
        for (let s = 0; s < T; s++) {
          const kb = s * stride + ko;
          let acc = 0;
          for (let d = 0; d < dh; d++) acc += qkvRows[qb + d] * scale * qkvRows[kb + d];
          scores[s] = acc;
          if (acc > max) max = acc;
        }
        let sum = 0;
        for (let s = 0; s < T; s++) {
          const e = Math.exp(scores[s] - max);
          scores[s] = e;
          sum += e;
        }
        if (rowMax) rowMax[h * T + t] = 1 / sum;
        const ob = t * D + qo;
        for (let s = 0; s < T; s++) {
          const a = scores[s] / sum;
          const vb = s * stride + vo;
          for (let d = 0; d < dh; d++) out[ob + d] += a * qkvRows[vb + d];
        }
      }
    }
  }

  return { model, forward };
}

/** y[o] = b[o] + Σ W[o,i]·x[i] for one row (x at xOff, y at yOff). */
function matVec(l: Linear, x: Float64Array, xOff: number, y: Float64Array, yOff: number): void {
  const { w, b, inDim, outDim } = l;
  for (let o = 0; o < outDim; o++) {
    let acc = 0;
    const wo = o * inDim;
    for (let i = 0; i < inDim; i++) acc += w[wo + i] * x[xOff + i];
    y[yOff + o] = acc + b[o];
  }
}

type LinearRows = (l: Linear, xs: Float64Array, rows: number, ys: Float64Array) => void;

/**
 * Y = X·Wᵀ + b for `layers` on the WebAssembly SIMD kernel (simd-linear.ts: bit-identical to scalarLinearRows, ~8×
 * faster), with one wasm memory per runner; scalarLinearRows where SIMD is unavailable or for any other layer.
 */
function simdLinearRows(layers: Linear[]): LinearRows {
  const simd = SimdLinear.create();
  if (!simd) return scalarLinearRows;
  const prepared = new Map(layers.map((l) => [l, simd.prepare(l.w, l.b, l.inDim, l.outDim)]));
  return (l, xs, rows, ys) => {
    const p = prepared.get(l);
    if (p) simd.run(p, xs, rows, ys);
    else scalarLinearRows(l, xs, rows, ys);
  };
}

/**
 * Y = X·Wᵀ + b over `rows` rows. Four outputs at a time share each loaded input value; the sum runs in index order per
 * output, as a plain dot product does.
 */
function scalarLinearRows(l: Linear, xs: Float64Array, rows: number, ys: Float64Array): void {
  const { w, b, inDim: n, outDim: m } = l;
  const m4 = m - (m % 4);
  for (let r = 0; r < rows; r++) {
    const xb = r * n;
    const yb = r * m;
    for (let o = 0; o < m4; o += 4) {
      const w0 = o * n;
      const w1 = w0 + n;
      const w2 = w1 + n;
      const w3 = w2 + n;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let i = 0; i < n; i++) {
        const v = xs[xb + i];
        a0 += w[w0 + i] * v;
        a1 += w[w1 + i] * v;
        a2 += w[w2 + i] * v;
        a3 += w[w3 + i] * v;
      }
      ys[yb + o] = a0 + b[o];
      ys[yb + o + 1] = a1 + b[o + 1];
      ys[yb + o + 2] = a2 + b[o + 2];
      ys[yb + o + 3] = a3 + b[o + 3];
    }
    for (let o = m4; o < m; o++) {
      let acc = 0;
      const wo = o * n;
      for (let i = 0; i < n; i++) acc += w[wo + i] * xs[xb + i];
      ys[yb + o] = acc + b[o];
    }
  }
}

/** LayerNorm over each of `rows` rows (biased variance); `out` may be `xs`. Returns `out`. */
function layerNorm(n: Norm, xs: Float64Array, out: Float64Array, rows: number): Float64Array {
  const D = n.g.length;
  for (let r = 0; r < rows; r++) {
    const base = r * D;
    let mean = 0;
    for (let i = 0; i < D; i++) mean += xs[base + i];
    mean /= D;
    let v = 0;
    for (let i = 0; i < D; i++) {
      const d = xs[base + i] - mean;
      v += d * d;
    }
    const inv = 1 / Math.sqrt(v / D + n.eps);
    for (let i = 0; i < D; i++) out[base + i] = (xs[base + i] - mean) * inv * n.g[i] + n.b[i];
  }
  return out;
}

function relu(v: number): number {
  return v > 0 ? v : 0;
}

/** Exact GELU, x·Φ(x) = ½·x·(1 + erf(x/√2)), as torch's nn.GELU() and timm's default compute it. */
export function gelu(v: number): number {
  return 0.5 * v * (1 + erf(v * Math.SQRT1_2));
}

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/**
 * erf to ~1e-15 absolute: below 3 the series e^{−x²}·Σ 2ⁿx^{2n+1}/(1·3·…·(2n+1)) (positive terms, no cancellation);
 * above, 1 − erfc from its continued fraction (Lentz), which converges in a few dozen steps there.
 */
export function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  if (a >= 6) return sign; // 1 − erf(6) < 3e-17
  if (a < 3) {
    const x2 = a * a;
    let term = a;
    let sum = a;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return sign * TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  }
  return sign * (1 - erfcContinuedFraction(a));
}

/** erfc(x) for x ≥ 3: e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated by modified Lentz. */
function erfcContinuedFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 300; n++) {
    const an = n / 2;
    d = x + an * d;
    d = d === 0 ? tiny : d;
    c = x + an / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
}
