import type { Arith } from './arith.ts';

/**
 * Power-of-two-indexed lookup-table requantizer (HG-PIPE `quant.h`). GELU is the same operator with a GELU table:
 * `gelu.h` fuses GELU into the requant table (SPEC §1.1).
 * cursor = (x + b) >> s, typed into the cursor type (wraps in hardware), clamped to [0, bound], then table[cursor].
 * Element index of wrap events: flat index into x.
 */
export interface TableQuantParams {
  b: number;
  s: number;
  bound: number;
  table: Int32Array;
}

export function tableRequant(
  x: Int32Array,
  p: TableQuantParams,
  arith: Arith,
  cursorField: string,
  operator: string,
): Int32Array {
  const out = new Int32Array(x.length);
  const { b, s, bound, table } = p;
  const scale = 2 ** s;
  const cursorType = arith.fitter(cursorField, operator);
  const { lo, hi } = cursorType;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] + b;
    // `>>` is the exact floor shift while v fits int32 (always, for HG-PIPE's accumulators); doubles otherwise.
    let cursor = (v | 0) === v ? v >> s : Math.floor(v / scale);
    if (cursor < lo || cursor > hi) cursor = cursorType.wrap(cursor, i);
    out[i] = table[cursor < 0 ? 0 : cursor > bound ? bound : cursor];
  }
  return out;
}
