import { clamp, typeMax, typeMin } from '../num/index.ts';
import type { Arith } from './arith.ts';

/**
 * LayerNorm fused with quantization (HG-PIPE `layernorm.h`, SPEC §1.3). Per token row: integer mean by a
 * multiply-by-reciprocal, raw sum of squared differences (1/C and ε folded into b, s1 and the table), an rsqrt lookup
 * indexed by a power-of-two cursor, then a per-channel integer affine and a clamping shift.
 * Wrap-event element index: token for per-row values (sum, divc, mu, var, cursor, rsqrt), token·C + channel otherwise.
 */
export interface LayerNormParams {
  c1m: number;
  c1s: number;
  b: number;
  s1: number;
  bound: number;
  s2: number;
  clampBits: number;
  lnw: Float64Array;
  lnb: Float64Array;
  rsqrt: Float64Array;
}


export function layerNormQuant(
  x: Int32Array,
  tokens: number,
  channels: number,
  p: LayerNormParams,
  arith: Arith,
  inputField: string,
  operator = 'layernorm',
): Int32Array {
  const out = new Int32Array(tokens * channels);
  const diff = new Float64Array(channels);
  const half = 2 ** (p.c1s - 1);
  const divMean = 2 ** p.c1s;
  const divVar = 2 ** p.s1;
  const divOut = 2 ** p.s2;
  const outType = { signed: true, bits: p.clampBits };
  const outMin = typeMin(outType);
  const outMax = typeMax(outType);
  const sumT = arith.fitter('__ln_sum_t', operator);
  const divcT = arith.fitter('__ln_divc_t', operator);
  const muT = arith.fitter('__ln_mu_t', operator);
  const diffT = arith.fitter(inputField, operator);
  const varT = arith.fitter('__ln_var_t', operator);
  const cursorT = arith.fitter('__ln_cursor_t', operator);
  const rsqrtT = arith.fitter('__ln_rsqrt_t', operator);
  const affineT = arith.fitter('__ln_affine_t', operator);
  const shiftT = arith.fitter('__ln_shift_t', operator);
  for (let t = 0; t < tokens; t++) {
    const row = t * channels;
    let acc = 0;
    for (let c = 0; c < channels; c++) acc += x[row + c];
    if (acc < sumT.lo || acc > sumT.hi) acc = sumT.wrap(acc, t);
    let divc = acc * p.c1m + half;
    if (divc < divcT.lo || divc > divcT.hi) divc = divcT.wrap(divc, t);
    let mean = Math.floor(divc / divMean);
    if (mean < muT.lo || mean > muT.hi) mean = muT.wrap(mean, t);
    let variance = 0;
    for (let c = 0; c < channels; c++) {
      let d = x[row + c] - mean;
      if (d < diffT.lo || d > diffT.hi) d = diffT.wrap(d, row + c);
      diff[c] = d;
      variance += d * d;
    }
    if (variance < varT.lo || variance > varT.hi) variance = varT.wrap(variance, t);
    let cursor = Math.floor((variance + p.b) / divVar);
    if (cursor < cursorT.lo || cursor > cursorT.hi) cursor = cursorT.wrap(cursor, t);
    let r = p.rsqrt[clamp(cursor, 0, p.bound)];
    if (r < rsqrtT.lo || r > rsqrtT.hi) r = rsqrtT.wrap(r, t);
    for (let c = 0; c < channels; c++) {
      // diff·r·lnw reaches ~2^43 with lnb ~2^37: exact in doubles (< 2^53).
      let val = diff[c] * r * p.lnw[c] + p.lnb[c];
      if (val < affineT.lo || val > affineT.hi) val = affineT.wrap(val, row + c);
      let rel = Math.floor(val / divOut);
      if (rel < shiftT.lo || rel > shiftT.hi) rel = shiftT.wrap(rel, row + c);
      out[row + c] = rel < outMin ? outMin : rel > outMax ? outMax : rel;
    }
  }
  return out;
}
