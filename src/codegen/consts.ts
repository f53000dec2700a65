import { bitsNeeded } from '../num/index.ts';
import { cInt } from './writer.ts';

interface ConstArray {
  name: string;
  text: string;
  elements: number;
}

/** Signed bits that hold every value (at least 2, so a 1-bit signed type never appears). */
export function signedBitsFor(values: ArrayLike<number>): number {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < lo) lo = values[i];
    if (values[i] > hi) hi = values[i];
  }
  return Math.max(2, bitsNeeded(lo, true), bitsNeeded(hi, true));
}

/**
 * The constant arrays of one block (weights, biases, tables) as `static const vp_rom<W>` arrays, W being the smallest
 * signed width holding the data (HG-PIPE's ROM typedefs are noted in comments). Registered once per name, so
 * processes that share a table (the three softmax heads) share one array.
 */
export class ConstTable {
  private readonly arrays = new Map<string, ConstArray>();

  /** A 1-D array, or 2-D when `cols` is given (values row-major). Returns the C name. */
  add(name: string, values: ArrayLike<number>, comment: string, cols?: number): string {
    if (this.arrays.has(name)) return name;
    const bits = signedBitsFor(values);
    const parts: string[] = [`// ${comment}`];
    if (cols === undefined) {
      parts.push(`static const vp_rom<${bits}> ${name}[${values.length}] = {`);
      for (let i = 0; i < values.length; i += 24) {
        const row: string[] = [];
        for (let j = i; j < Math.min(values.length, i + 24); j++) row.push(cInt(values[j]));
        parts.push(`  ${row.join(', ')},`);
      }
    } else {
      const rows = values.length / cols;
      parts.push(`static const vp_rom<${bits}> ${name}[${rows}][${cols}] = {`);
      for (let r = 0; r < rows; r++) {
        const row = new Array<string>(cols);
        for (let c = 0; c < cols; c++) row[c] = cInt(values[r * cols + c]);
        parts.push(`  {${row.join(',')}},`);
      }
    }
    parts.push('};');
    this.arrays.set(name, { name, text: parts.join('\n'), elements: values.length });
    return name;
  }

  get elements(): number {
    let n = 0;
    for (const a of this.arrays.values()) n += a.elements;
    return n;
  }

  /** The header body (the caller wraps it in the block's namespace). */
  render(): string {
    return [...this.arrays.values()].map((a) => a.text).join('\n\n') + '\n';
  }
}
