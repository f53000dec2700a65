/**
 * The engine's fast path, per-element operators: the same arithmetic as the reference operators in src/ops (same
 * operations in the same order on the same doubles, so the results are equal by construction, and tested equal), fused
 * with their neighbours and writing 16-bit matmul operands straight into the SIMD kernel's memory, without allocating.
 *
 * They never wrap: each typed assignment is checked against its range (unbounded in ideal mode) and the first value
 * outside it makes the operator return false. The caller then reruns the whole block on the reference operators,
 * which perform the wraps and record them in execution order. In-range values are stored unchanged by the hardware,
 * so a block without wraps gives the same result either way.
 */
import type { Arith, LayerNormParams, SoftmaxParams, TableQuantParams } from '../../ops/index.ts';

/** The range [lo, hi] of one typed assignment. */
export interface Range {
  lo: number;
  hi: number;
}

/** The range of `field` as `operator` assigns it; undefined when the block's types lack it (the reference then reports that). */
export function rangeOf(arith: Arith, field: string, operator: string): Range | undefined {
  try {
    const f = arith.fitter(field, operator);
    return { lo: f.lo, hi: f.hi };
  } catch {
    return undefined;
  }
}

/** The ranges LayerNorm checks, resolved once per block call. */
export interface LayerNormRanges {
  sum: Range;
  divc: Range;
  mu: Range;
  diff: Range;
  variance: Range;
  cursor: Range;
  rsqrt: Range;
  affine: Range;
  shift: Range;
}

export function layerNormRanges(arith: Arith, inputField: string, op = 'layernorm'): LayerNormRanges | undefined {
  const r = (f: string) => rangeOf(arith, f, op);
  const [sum, divc, mu, diff, variance, cursor, rsqrt, affine, shift] = [
    r('__ln_sum_t'), r('__ln_divc_t'), r('__ln_mu_t'), r(inputField), r('__ln_var_t'), r('__ln_cursor_t'), r('__ln_rsqrt_t'), r('__ln_affine_t'), r('__ln_shift_t'),
  ];
  if (!sum || !divc || !mu || !diff || !variance || !cursor || !rsqrt || !affine || !shift) return undefined;
  return { sum, divc, mu, diff, variance, cursor, rsqrt, affine, shift };
}

/**
 * layerNormQuant (src/ops/layernorm.ts) of x [T][C] into out[t·stride + c] (int16). `diff` is scratch of length C.
 */
export function layerNormInto(x: Int32Array, T: number, C: number, p: LayerNormParams, g: LayerNormRanges, out: Int16Array, outAt: number, stride: number, diff: Float64Array): boolean {
  const half = 2 ** (p.c1s - 1);
  const divMean = 2 ** p.c1s;
  const divVar = 2 ** p.s1;
  const divOut = 2 ** p.s2;
  const outMax = 2 ** (p.clampBits - 1) - 1;
  const outMin = -outMax - 1;
  const { c1m, b, bound, rsqrt, lnw, lnb } = p;
  const diffLo = g.diff.lo, diffHi = g.diff.hi, affLo = g.affine.lo, affHi = g.affine.hi, shLo = g.shift.lo, shHi = g.shift.hi;
  for (let t = 0; t < T; t++) {
    const row = t * C;
    let acc = 0;
    for (let c = 0; c < C; c++) acc += x[row + c];
    if (acc < g.sum.lo || acc > g.sum.hi) return false;
    const divc = acc * c1m + half;
    if (divc < g.divc.lo || divc > g.divc.hi) return false;
    const mean = Math.floor(divc / divMean);
    if (mean < g.mu.lo || mean > g.mu.hi) return false;
    let variance = 0;
    for (let c = 0; c < C; c++) {
      const d = x[row + c] - mean;
      if (d < diffLo || d > diffHi) return false;
      diff[c] = d;
      variance += d * d;
    }
    if (variance < g.variance.lo || variance > g.variance.hi) return false;
    const cursor = Math.floor((variance + b) / divVar);
    if (cursor < g.cursor.lo || cursor > g.cursor.hi) return false;
    const r = rsqrt[cursor < 0 ? 0 : cursor > bound ? bound : cursor];
    if (r < g.rsqrt.lo || r > g.rsqrt.hi) return false;
    const o = outAt + t * stride;
    for (let c = 0; c < C; c++) {
      const val = diff[c] * r * lnw[c] + lnb[c];
      if (val < affLo || val > affHi) return false;
      const rel = Math.floor(val / divOut);
      if (rel < shLo || rel > shHi) return false;
      out[o + c] = rel < outMin ? outMin : rel > outMax ? outMax : rel;
    }
  }
  return true;
}

/**
 * Matmul epilogue + tableRequant: acc = y[t·yStride + o] + bias[biasAt + o] stored as int32 (as matmulPacked's Int32Array
 * does), checked against `accRange`; then the table requantizer (checked cursor) into out[t·outStride + o].
 */
export function requantInto(
  y: Int32Array, yAt: number, yStride: number, T: number, co: number, bias: Float64Array | undefined, biasAt: number, accRange: Range,
  q: TableQuantParams, cursorRange: Range, out: Int16Array, outAt: number, outStride: number,
): boolean {
  const { b, s, bound, table } = q;
  const scale = 2 ** s;
  const aLo = accRange.lo, aHi = accRange.hi, cLo = cursorRange.lo, cHi = cursorRange.hi;
  for (let t = 0; t < T; t++) {
    const src = yAt + t * yStride;
    const dst = outAt + t * outStride;
    for (let o = 0; o < co; o++) {
      const acc = bias ? (y[src + o] + bias[biasAt + o]) | 0 : y[src + o];
      if (acc < aLo || acc > aHi) return false;
      const v = acc + b;
      const cursor = (v | 0) === v ? v >> s : Math.floor(v / scale);
      if (cursor < cLo || cursor > cHi) return false;
      out[dst + o] = table[cursor < 0 ? 0 : cursor > bound ? bound : cursor];
    }
  }
  return true;
}

/**
 * Matmul epilogue + residualMerge: main = y + bias (int32, checked against `accRange`), then
 * out = main + floor((x·rm + rb) / 2^rs), both the rescaled skip and the sum checked against `outRange`.
 */
export function residualInto(
  y: Int32Array, yAt: number, yStride: number, T: number, C: number, bias: Float64Array, accRange: Range,
  x: Int32Array, rm: number, rs: number, outRange: Range, out: Int32Array,
): boolean {
  const rb = 2 ** (rs - 1);
  const div = 2 ** rs;
  const aLo = accRange.lo, aHi = accRange.hi, oLo = outRange.lo, oHi = outRange.hi;
  for (let t = 0; t < T; t++) {
    const src = yAt + t * yStride;
    const row = t * C;
    for (let c = 0; c < C; c++) {
      const main = (y[src + c] + bias[c]) | 0;
      if (main < aLo || main > aHi) return false;
      const skip = Math.floor((x[row + c] * rm + rb) / div);
      if (skip < oLo || skip > oHi) return false;
      const v = main + skip;
      if (v < oLo || v > oHi) return false;
      out[row + c] = v;
    }
  }
  return true;
}

/** The ranges softmax checks. */
export interface SoftmaxRanges {
  scores: Range;
  minus: Range;
  cursor1: Range;
  exp: Range;
  acc: Range;
  cursor2One: Range;
  cursor2Two: Range;
  recip: Range;
  affine: Range;
  cursor3: Range;
}

export function softmaxRanges(arith: Arith): SoftmaxRanges | undefined {
  const r = (f: string) => rangeOf(arith, f, 'softmax');
  const scores = rangeOf(arith, '__attn_r_t', 'qk_matmul');
  const [minus, cursor1, exp, acc, cursor2One, cursor2Two, recip, affine, cursor3] = [
    r('__softmax_minus_t'), r('__softmax_cursor1_t'), r('__softmax_exp_t'), r('__softmax_acc_t'), r('__softmax_cursor2_one_t'),
    r('__softmax_cursor2_two_t'), r('__softmax_recip_t'), r('__softmax_affine_t'), r('__softmax_cursor3_t'),
  ];
  if (!scores || !minus || !cursor1 || !exp || !acc || !cursor2One || !cursor2Two || !recip || !affine || !cursor3) return undefined;
  return { scores, minus, cursor1, exp, acc, cursor2One, cursor2Two, recip, affine, cursor3 };
}

/**
 * QKᵀ scores (checked against their type) and softmaxQuant (src/ops/softmax.ts) of `rows` rows of `len` keys:
 * row r is read at r·inStride and written (unsigned `clampBits`-bit, int16) at r·outStride. `e` is scratch of length len.
 */
export function softmaxInto(r: Int32Array, rAt: number, inStride: number, rows: number, len: number, p: SoftmaxParams, g: SoftmaxRanges, out: Int16Array, outAt: number, outStride: number, e: Float64Array): boolean {
  const d1 = 2 ** p.s1;
  const d2One = 2 ** p.s2One;
  const d2Two = 2 ** p.s2Two;
  const outMax = 2 ** p.clampBits - 1;
  const { b1, s1, bound1, exp, b2One, bound2One, b2Two, bound2Two, recipOne, recipTwo } = p;
  const rLo = g.scores.lo, rHi = g.scores.hi, mLo = g.minus.lo, mHi = g.minus.hi, c1Lo = g.cursor1.lo, c1Hi = g.cursor1.hi;
  const eLo = g.exp.lo, eHi = g.exp.hi, afLo = g.affine.lo, afHi = g.affine.hi, c3Lo = g.cursor3.lo, c3Hi = g.cursor3.hi;
  for (let row = 0; row < rows; row++) {
    const base = rAt + row * inStride;
    let max = r[base];
    for (let s = 0; s < len; s++) {
      const v = r[base + s];
      if (v < rLo || v > rHi) return false;
      if (v > max) max = v;
    }
    let acc = 0;
    for (let s = 0; s < len; s++) {
      const minus = max - r[base + s];
      if (minus < mLo || minus > mHi) return false;
      const shifted = minus + b1;
      const c = (shifted | 0) === shifted ? shifted >> s1 : Math.floor(shifted / d1);
      if (c < c1Lo || c > c1Hi) return false;
      const ev = exp[c < 0 ? 0 : c > bound1 ? bound1 : c];
      if (ev < eLo || ev > eHi) return false;
      e[s] = ev;
      acc += ev;
    }
    if (acc < g.acc.lo || acc > g.acc.hi) return false;
    const c1 = Math.floor((acc + b2One) / d2One);
    if (c1 < g.cursor2One.lo || c1 > g.cursor2One.hi) return false;
    const two = c1 > bound2One;
    let rec: number;
    if (two) {
      const c2 = Math.floor((acc + b2Two) / d2Two);
      if (c2 < g.cursor2Two.lo || c2 > g.cursor2Two.hi) return false;
      rec = recipTwo[c2 < 0 ? 0 : c2 > bound2Two ? bound2Two : c2];
    } else {
      rec = recipOne[c1 < 0 ? 0 : c1 > bound2One ? bound2One : c1];
    }
    if (rec < g.recip.lo || rec > g.recip.hi) return false;
    const b3 = two ? p.b3Two : p.b3One;
    const s3 = two ? p.s3Two : p.s3One;
    const d3 = 2 ** s3;
    const o = outAt + row * outStride;
    for (let s = 0; s < len; s++) {
      const val = e[s] * rec;
      if (val < afLo || val > afHi) return false;
      const rounded = val + b3;
      const rel = (rounded | 0) === rounded ? rounded >> s3 : Math.floor(rounded / d3);
      if (rel < c3Lo || rel > c3Hi) return false;
      out[o + s] = rel < 0 ? 0 : rel > outMax ? outMax : rel;
    }
  }
  return true;
}
