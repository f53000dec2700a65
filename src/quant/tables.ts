import type { LayerNormParams, ResidualParams, SoftmaxParams, TableQuantParams } from '../ops/index.ts';
import { searchClip, symmetricScale } from './stats.ts';

/**
 * Builders of HG-PIPE's integer operator parameters (SPEC §1) from float scales: every operator keeps HG-PIPE's exact
 * integer semantics (power-of-two-indexed tables, rounding shifts), only its table sizes and constants are chosen
 * here. docs/QUANTIZATION.md explains each choice.
 */

/** Table entries per activation width: HG-PIPE's 64 at 3 bits, up to 1024 for 6 bits and more. */
export function tableEntries(bits: number): number {
  return Math.min(1024, 2 ** (bits + 3));
}

/** Per-tensor symmetric weight codes whose scale minimises the quantization MSE (scale search over clipping). */
export function quantizeWeights(w: Float32Array, bits: number): { codes: Int32Array; scale: number } {
  let maxAbs = 0;
  for (let i = 0; i < w.length; i++) maxAbs = Math.max(maxAbs, Math.abs(w[i]));
  const scale = symmetricScale(w, maxAbs, bits) || 1;
  const qmax = 2 ** (bits - 1) - 1;
  const codes = new Int32Array(w.length);
  for (let i = 0; i < w.length; i++) codes[i] = Math.max(-qmax - 1, Math.min(qmax, Math.round(w[i] / scale)));
  return { codes, scale };
}

/**
 * A table requantizer (SPEC §1.1): cursor = clamp((acc + b) >> s, 0, bound), out = table[cursor], for an integer
 * accumulator of float step `accScale` whose useful float range is [lo, hi]. `out(v)` is the code for float v. The
 * cursor step 2^s is the smallest power of two that covers [lo, hi] in at most `entries` cells; each cell maps its
 * centre.
 */
export function buildTable(accScale: number, lo: number, hi: number, entries: number, out: (v: number) => number): TableQuantParams {
  const loAcc = Math.floor(lo / accScale);
  const hiAcc = Math.ceil(hi / accScale);
  const s = Math.max(0, Math.ceil(Math.log2(Math.max(1, hiAcc - loAcc + 1) / entries)));
  const step = 2 ** s;
  const bound = Math.ceil((hiAcc - loAcc + 1) / step) - 1;
  const b = -loAcc;
  const table = new Int32Array(bound + 1);
  for (let c = 0; c <= bound; c++) table[c] = out((loAcc + c * step + (step - 1) / 2) * accScale);
  return { b, s, bound, table };
}

/** Round and clamp a float to a code of `bits` bits (signed or unsigned) at `scale`, with zero point `zero`. */
export function toCode(v: number, scale: number, bits: number, signed: boolean, zero = 0): number {
  const lo = signed ? -(2 ** (bits - 1)) : 0;
  const hi = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  return Math.max(lo, Math.min(hi, Math.round(v / scale) + zero));
}

/** A symmetric requantizer to signed `bits`-bit codes at `outScale` (q, k, v, attention output, post-norm input). */
export function requantTable(accScale: number, outScale: number, bits: number): TableQuantParams {
  const reach = (2 ** (bits - 1) + 0.5) * outScale;
  return buildTable(accScale, -reach, reach, tableEntries(bits), (v) => toCode(v, outScale, bits, true));
}

/** Unsigned codes with a zero point for an activation function's output (GELU's dip below zero keeps code 0 … z). */
export interface ActivationCodes {
  scale: number;
  zero: number;
}

export function activationCodes(values: ArrayLike<number>, min: number, max: number, bits: number): ActivationCodes {
  const levels = 2 ** bits - 1;
  const lo = Math.min(0, min);
  const [clo, chi] = searchClip(values, lo, Math.max(max, lo + 1e-9), levels, false);
  const scale = (chi - Math.min(0, clo)) / levels || 1;
  return { scale, zero: Math.round(-Math.min(0, clo) / scale) };
}

/** The activation fused with its requantizer (HG-PIPE's GELU table; ReLU the same way). */
export function activationTable(accScale: number, act: (v: number) => number, codes: ActivationCodes, bits: number, inLo: number, inHi: number): TableQuantParams {
  // At least four cells per output step over the input range (GELU's flat negative side takes cells too), ≤ 4096.
  const needed = 2 ** Math.ceil(Math.log2(Math.max(1, (4 * (inHi - inLo)) / codes.scale)));
  const entries = Math.min(4096, Math.max(tableEntries(bits), needed));
  return buildTable(accScale, inLo, inHi, entries, (v) => toCode(act(v), codes.scale, bits, false, codes.zero));
}

/**
 * LayerNorm + quant (SPEC §1.3) of rows whose float step is `inScale`, to signed `bits`-bit codes at `outScale`.
 * The rsqrt table is indexed linearly by the raw sum of squares over [varLo, varHi] (integer units, from calibration);
 * its values are K / √(var/C + ε/inScale²) with K = 2^16 − 1 at the low end; lnw and lnb carry γ, β, K and the output
 * scale with `s2` fractional bits, chosen so that |diff·r·lnw| stays below 2^50.
 */
export function layerNormTable(
  gamma: Float32Array,
  beta: Float32Array,
  eps: number,
  inScale: number,
  outScale: number,
  bits: number,
  varLo: number,
  varHi: number,
  maxAbsDiff: number,
): LayerNormParams {
  const C = gamma.length;
  const c1s = 24 + Math.ceil(Math.log2(C));
  const c1m = Math.round(2 ** c1s / C);
  const entries = bits >= 6 ? 4096 : bits >= 4 ? 1024 : 256;
  const lo = Math.max(0, Math.floor(varLo));
  const s1 = Math.max(0, Math.ceil(Math.log2(Math.max(1, varHi - lo) / entries)));
  const bound = Math.min(entries - 1, Math.ceil((varHi - lo) / 2 ** s1));
  const b = -lo;
  const epsInt = eps / (inScale * inScale);
  const rsqrtAt = (v: number) => 1 / Math.sqrt(Math.max(v, 0) / C + epsInt);
  const K = (2 ** 16 - 1) / rsqrtAt(lo);
  const rsqrt = new Float64Array(bound + 1);
  for (let c = 0; c <= bound; c++) rsqrt[c] = Math.max(1, Math.round(K * rsqrtAt(lo + (c + 0.5) * 2 ** s1)));
  let gMax = 0;
  for (let i = 0; i < C; i++) gMax = Math.max(gMax, Math.abs(gamma[i]));
  // |diff·r·lnw| ≤ maxAbsDiff · 2^16 · |lnw|: keep it below 2^50 (exact in doubles, and a bounded affine width).
  const lnwCap = Math.max(1, 2 ** 50 / (Math.max(1, maxAbsDiff) * 2 ** 16));
  let s2 = Math.floor(Math.log2(Math.min(2 ** 15, lnwCap) * K * outScale / Math.max(gMax, 1e-12)));
  s2 = Math.max(1, s2);
  const lnw = new Float64Array(C);
  const lnb = new Float64Array(C);
  for (let i = 0; i < C; i++) {
    lnw[i] = Math.round((gamma[i] * 2 ** s2) / (K * outScale));
    lnb[i] = Math.round((beta[i] * 2 ** s2) / outScale) + 2 ** (s2 - 1); // + ½: the output shift rounds
  }
  return { c1m, c1s, b, s1, bound, s2, clampBits: bits, lnw, lnb, rsqrt };
}

/**
 * Softmax + quant (SPEC §1.4) of QKᵀ scores whose float step is `scoreScale` (the 1/√dh factor folded in here), to
 * unsigned `bits`-bit probabilities at `probScale`. exp table: 2^15·e^(−x) on a grid of the score step times 2^s1,
 * rounded to the nearest cell, up to where it rounds to 0. The row sum lies in [2^15, tokens·2^15]; its reciprocal
 * is two linear tables split at the geometric middle, each with 16-bit entries and its own output shift.
 */
export function softmaxTable(scoreScale: number, headDim: number, tokens: number, probScale: number, bits: number): SoftmaxParams {
  const entries = tableEntries(bits);
  const unit = scoreScale / Math.sqrt(headDim); // float exponent step of one integer score step
  const reach = Math.log(2 ** 16); // e^(−x)·2^15 < ½ beyond
  const s1 = Math.max(0, Math.ceil(Math.log2(reach / unit / entries)));
  const cell = unit * 2 ** s1;
  const bound1 = Math.max(1, Math.min(entries - 1, Math.ceil(reach / cell)));
  const exp = new Int32Array(bound1 + 1);
  for (let c = 0; c <= bound1; c++) exp[c] = Math.round(2 ** 15 * Math.exp(-c * cell));
  const b1 = s1 > 0 ? 2 ** (s1 - 1) : 0;
  const a0 = 2 ** 15;
  const a2 = tokens * 2 ** 15;
  const a1 = Math.sqrt(a0 * a2);
  const segment = (from: number, to: number) => {
    const s2 = Math.max(0, Math.ceil(Math.log2(Math.max(1, to - from) / entries)));
    const bound = Math.max(1, Math.ceil((to - from) / 2 ** s2));
    return { s2, bound, b2: -from + (s2 > 0 ? 2 ** (s2 - 1) : 0) };
  };
  const one = segment(a0, a1);
  const twoFrom = a0 + (one.bound + 0.5) * 2 ** one.s2;
  const two = segment(twoFrom, Math.max(a2, twoFrom + 1));
  const recip = (from: number, seg: { s2: number; bound: number }, smallest: number) => {
    const s3 = Math.floor(Math.log2((2 ** 16 - 1) * smallest * probScale));
    const table = new Int32Array(seg.bound + 1);
    for (let c = 0; c <= seg.bound; c++) table[c] = Math.round(2 ** s3 / (Math.max(from + c * 2 ** seg.s2, smallest) * probScale));
    return { s3, table };
  };
  const r1 = recip(a0, one, a0);
  const r2 = recip(twoFrom, two, twoFrom);
  return {
    b1, s1, bound1: exp.length - 1,
    b2One: one.b2, s2One: one.s2, bound2One: one.bound, b3One: 2 ** (r1.s3 - 1), s3One: r1.s3,
    b2Two: two.b2, s2Two: two.s2, bound2Two: two.bound, b3Two: 2 ** (r2.s3 - 1), s3Two: r2.s3,
    clampBits: bits,
    exp, recipOne: r1.table, recipTwo: r2.table,
  };
}

/** Residual merge (SPEC §1.5): x·RM/2^RS rescales the skip branch (step `fromScale`) to the main branch's step. */
export function residualTable(fromScale: number, toScale: number): ResidualParams {
  const ratio = fromScale / toScale;
  const rs = Math.max(1, 20 - Math.floor(Math.log2(ratio)));
  return { rm: Math.round(ratio * 2 ** rs), rs };
}
