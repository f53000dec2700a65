import { clamp, typeMax } from '../num/index.ts';
import type { Arith } from './arith.ts';

/**
 * Softmax fused with quantization (HG-PIPE `softmax.h`, SPEC §1.4), row-wise over the keys of one query:
 * an "opposite" exp table indexed by (max − x) >> s1, an integer row sum, and a two-segment reciprocal table (small
 * and large sums use different steps and output shifts). Output: unsigned `clampBits`-bit probabilities.
 * Wrap-event element index: row·len + key for per-element values, row for per-row values.
 */
export interface SoftmaxParams {
  b1: number;
  s1: number;
  bound1: number;
  b2One: number;
  s2One: number;
  bound2One: number;
  b3One: number;
  s3One: number;
  b2Two: number;
  s2Two: number;
  bound2Two: number;
  b3Two: number;
  s3Two: number;
  clampBits: number;
  exp: Int32Array;
  recipOne: Int32Array;
  recipTwo: Int32Array;
}

/**
 * `keyBias` (token merging's proportional attention, docs/TOKEN-MERGING.md): an integer added to key s's score in
 * every row before the max and the table lookup (absent ⇒ the plain softmax, unchanged).
 */
export function softmaxQuant(r: Int32Array, rows: number, len: number, p: SoftmaxParams, arith: Arith, keyBias?: Int32Array): Int32Array {
  if (keyBias) r = biasedScores(r, rows, len, keyBias);
  const op = 'softmax';
  const out = new Int32Array(rows * len);
  const e = new Float64Array(len);
  const minusT = arith.fitter('__softmax_minus_t', op);
  const cursor1T = arith.fitter('__softmax_cursor1_t', op);
  const expT = arith.fitter('__softmax_exp_t', op);
  const accT = arith.fitter('__softmax_acc_t', op);
  const cursor2OneT = arith.fitter('__softmax_cursor2_one_t', op);
  const cursor2TwoT = arith.fitter('__softmax_cursor2_two_t', op);
  const recipT = arith.fitter('__softmax_recip_t', op);
  const affineT = arith.fitter('__softmax_affine_t', op);
  const cursor3T = arith.fitter('__softmax_cursor3_t', op);
  const d1 = 2 ** p.s1;
  const d2One = 2 ** p.s2One;
  const d2Two = 2 ** p.s2Two;
  const outMax = typeMax({ signed: false, bits: p.clampBits });
  for (let row = 0; row < rows; row++) {
    const base = row * len;
    let max = r[base];
    for (let s = 1; s < len; s++) if (r[base + s] > max) max = r[base + s];
    let acc = 0;
    for (let s = 0; s < len; s++) {
      let minus = max - r[base + s];
      if (minus < minusT.lo || minus > minusT.hi) minus = minusT.wrap(minus, base + s);
      const shifted = minus + p.b1;
      // `>>` is the exact floor shift within int32 (every value here is far below 2^31); doubles otherwise.
      let c = (shifted | 0) === shifted ? shifted >> p.s1 : Math.floor(shifted / d1);
      if (c < cursor1T.lo || c > cursor1T.hi) c = cursor1T.wrap(c, base + s);
      let ev = p.exp[clamp(c, 0, p.bound1)];
      if (ev < expT.lo || ev > expT.hi) ev = expT.wrap(ev, base + s);
      e[s] = ev;
      acc += ev;
    }
    if (acc < accT.lo || acc > accT.hi) acc = accT.wrap(acc, row);
    let c1 = Math.floor((acc + p.b2One) / d2One);
    if (c1 < cursor2OneT.lo || c1 > cursor2OneT.hi) c1 = cursor2OneT.wrap(c1, row);
    const two = c1 > p.bound2One;
    let rec: number;
    if (two) {
      let c2 = Math.floor((acc + p.b2Two) / d2Two);
      if (c2 < cursor2TwoT.lo || c2 > cursor2TwoT.hi) c2 = cursor2TwoT.wrap(c2, row);
      rec = p.recipTwo[clamp(c2, 0, p.bound2Two)];
    } else {
      rec = p.recipOne[clamp(c1, 0, p.bound2One)];
    }
    if (rec < recipT.lo || rec > recipT.hi) rec = recipT.wrap(rec, row);
    const b3 = two ? p.b3Two : p.b3One;
    const s3 = two ? p.s3Two : p.s3One;
    const d3 = 2 ** s3;
    for (let s = 0; s < len; s++) {
      let val = e[s] * rec;
      if (val < affineT.lo || val > affineT.hi) val = affineT.wrap(val, base + s);
      const rounded = val + b3;
      let rel = (rounded | 0) === rounded ? rounded >> s3 : Math.floor(rounded / d3);
      if (rel < cursor3T.lo || rel > cursor3T.hi) rel = cursor3T.wrap(rel, base + s);
      out[base + s] = rel < 0 ? 0 : rel > outMax ? outMax : rel;
    }
  }
  return out;
}

/** Scores with a per-key bias added in every row (exact: the bias is small and the scores are ≤ 2^31). */
function biasedScores(r: Int32Array, rows: number, len: number, keyBias: Int32Array): Int32Array {
  const out = new Int32Array(r.length);
  for (let row = 0; row < rows; row++) for (let s = 0; s < len; s++) out[row * len + s] = r[row * len + s] + keyBias[s];
  return out;
}
