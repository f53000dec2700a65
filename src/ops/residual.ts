import type { Arith } from './arith.ts';

/**
 * Residual merge (HG-PIPE `stream_merge`, SPEC §1.5): the block input x is rescaled to the main branch's
 * accumulator scale by a rounding fixed-point multiply, then added. The result stays wide: it is the next block's input.
 * x·RM reaches ~2^34, so the shift is done in doubles. Wrap-event element index: token·C + channel.
 */
export interface ResidualParams {
  rm: number;
  rs: number;
}

export function residualMerge(main: Int32Array, x: Int32Array, p: ResidualParams, arith: Arith, outField: string): Int32Array {
  const out = new Int32Array(main.length);
  const rb = 2 ** (p.rs - 1);
  const div = 2 ** p.rs;
  const outType = arith.fitter(outField, 'residual');
  const { lo, hi } = outType;
  for (let i = 0; i < main.length; i++) {
    let skip = Math.floor((x[i] * p.rm + rb) / div);
    if (skip < lo || skip > hi) skip = outType.wrap(skip, i);
    let v = main[i] + skip;
    if (v < lo || v > hi) v = outType.wrap(v, i);
    out[i] = v;
  }
  return out;
}
