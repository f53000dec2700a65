/**
 * The ranges of the typed assignments the fast kernels check (wasm-ops.ts), from a block's arithmetic: ±Infinity in
 * ideal mode, the declared type's range in hardware mode. Written with the operator's scalars into the kernels'
 * float64 parameter block. Divisors are powers of two, passed as their reciprocals: x·2^−s is exactly x/2^s (no
 * rounding, no subnormals for these magnitudes), and a multiply costs a fraction of a divide.
 */
import type { Arith, LayerNormParams, SoftmaxParams, TableQuantParams } from '../../ops/index.ts';

/** [lo, hi] of `field` as `operator` assigns it; undefined when the block's types lack it (the reference reports that). */
export function rangeOf(arith: Arith, field: string, operator: string): [number, number] | undefined {
  try {
    const f = arith.fitter(field, operator);
    return [f.lo, f.hi];
  } catch {
    return undefined;
  }
}

/** The parameter block as a list, or undefined when a range is missing. */
function block(scalars: number[], arith: Arith, fields: Array<[string, string]>): number[] | undefined {
  const out = [...scalars];
  for (const [field, op] of fields) {
    const r = rangeOf(arith, field, op);
    if (!r) return undefined;
    out.push(...r);
  }
  return out;
}

export function requantBlock(arith: Arith, q: TableQuantParams, acc: [string, string], cursor: [string, string]): number[] | undefined {
  const a = rangeOf(arith, ...acc);
  const c = rangeOf(arith, ...cursor);
  return a && c ? [...a, q.b, 2 ** -q.s, ...c] : undefined;
}

export function residualBlock(arith: Arith, rm: number, rs: number, acc: [string, string], outField: string): number[] | undefined {
  const a = rangeOf(arith, ...acc);
  const o = rangeOf(arith, outField, 'residual');
  return a && o ? [...a, rm, 2 ** (rs - 1), 2 ** -rs, ...o] : undefined;
}

export function layerNormBlock(arith: Arith, p: LayerNormParams, inputField: string): number[] | undefined {
  const op = 'layernorm';
  return block([p.c1m, 2 ** (p.c1s - 1), 2 ** -p.c1s, p.b, 2 ** -p.s1, 2 ** -p.s2], arith, [
    ['__ln_sum_t', op], ['__ln_divc_t', op], ['__ln_mu_t', op], [inputField, op], ['__ln_var_t', op], ['__ln_cursor_t', op],
    ['__ln_rsqrt_t', op], ['__ln_affine_t', op], ['__ln_shift_t', op],
  ]);
}

export function softmaxBlock(arith: Arith, p: SoftmaxParams): number[] | undefined {
  const op = 'softmax';
  return block(
    [p.b1, 2 ** -p.s1, p.b2One, 2 ** -p.s2One, p.b2Two, 2 ** -p.s2Two, p.b3One, 2 ** -p.s3One, p.b3Two, 2 ** -p.s3Two],
    arith,
    [
      ['__attn_r_t', 'qk_matmul'], ['__softmax_minus_t', op], ['__softmax_cursor1_t', op], ['__softmax_exp_t', op], ['__softmax_acc_t', op],
      ['__softmax_cursor2_one_t', op], ['__softmax_cursor2_two_t', op], ['__softmax_recip_t', op], ['__softmax_affine_t', op], ['__softmax_cursor3_t', op],
    ],
  );
}
