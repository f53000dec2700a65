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
      // lo > hi: every value goes through wrap(), which records it and returns it unchanged.
      return {
        lo: Infinity,
        hi: -Infinity,
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
        for (let i = 0; i < values.length; i++) f.wrap(values[i], i);
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
        const signed = min < 0;
        const bits = Math.max(bitsNeeded(min, signed), bitsNeeded(max, signed)) + marginBits;
        types[field] = { signed, bits: Math.min(bits, 64) };
      }
      out[block] = types;
    }
    return out;
  }
}
