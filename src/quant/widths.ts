import type { Arith, BlockTypes, Fitter } from '../ops/index.ts';
import { bitsNeeded, type IntType } from '../num/index.ts';

/**
 * Integer widths from calibration: an arithmetic context that keeps every value exact (ideal mode) while recording
 * the range of every typed assignment, per block and field; then each field's type is the narrowest that holds its
 * range, plus `marginBits`.
 */
export class RangeRecorder {
  private readonly ranges = new Map<string, Map<string, { min: number; max: number }>>();

  arithFor = (block: string): Arith => {
    const fields = this.ranges.get(block) ?? new Map<string, { min: number; max: number }>();
    this.ranges.set(block, fields);
    const fitter = (field: string): Fitter => {
      let r = fields.get(field);
      if (!r) fields.set(field, (r = { min: Infinity, max: -Infinity }));
      const range = r;
      // Values inside the range seen so far need no recording; the others go through wrap(), which widens the range
      // and returns them unchanged (on a field's first use the range is empty, so every value is recorded).
      return {
        lo: range.min,
        hi: range.max,
        wrap(value) {
          if (value < range.min) range.min = value;
          if (value > range.max) range.max = value;
          return value;
        },
      };
    };
    return {
      mode: 'ideal',
      block,
      fitter,
      fitAll(values, field) {
        const f = fitter(field);
        for (let i = 0; i < values.length; i++) if (values[i] < f.lo || values[i] > f.hi) f.wrap(values[i], i);
      },
    };
  };

  /** Every block's field types: the recorded range plus `marginBits`; a field never assigned gets `fallback`. */
  types(marginBits: number, fallback: IntType = { signed: true, bits: 32 }): Record<string, BlockTypes> {
    const out: Record<string, BlockTypes> = {};
    for (const [block, fields] of this.ranges) {
      const types: Record<string, IntType> = {};
      for (const [field, { min, max }] of fields) {
        if (min > max) {
          types[field] = fallback;
          continue;
        }
        // A table cursor is (x + b) >> s with b < 0 at the table's low end: an input below anything calibrated gives
        // a negative cursor, which the clamp maps to entry 0 only if the type can hold it. Cursors are therefore
        // signed and symmetric.
        const cursor = field.includes('cursor');
        const reach = Math.max(Math.abs(min), Math.abs(max));
        const [lo, hi] = cursor ? [-reach, reach] : [min, max];
        const signed = lo < 0;
        // A sum of squares (and the rsqrt cursor read from it) grows with the square of its inputs: twice the margin.
        const squared = field === '__ln_var_t' || field === '__ln_cursor_t';
        const bits = Math.max(bitsNeeded(lo, signed), bitsNeeded(hi, signed)) + (squared ? 2 : 1) * marginBits;
        types[field] = { signed, bits: Math.min(bits, 64) };
      }
      out[block] = types;
    }
    return out;
  }
}
