import { fail, showValue } from '../diag/index.ts';

/**
 * HG-PIPE's reference format: one line of comma-separated decimal integers with a trailing comma and no newline
 * (the files are meant to be #included in C array initialisers). Flat, row-major.
 */

/**
 * The common case, parsed from the bytes without building strings (loading the weights is part of every engine
 * start): only `-?digits` separated by commas, optionally a trailing comma and whitespace, at most `maxDigits` digits
 * each (9 always fit int32, 15 a safe integer). Anything else (or a wrong count) returns undefined and the text goes
 * through parseRefsText, which accepts what Number() does and reports errors.
 */
export function parseRefsBytes<A extends Float64Array | Int32Array>(bytes: Uint8Array, out: A, maxDigits: number): A | undefined {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x20 || (bytes[end - 1] >= 0x09 && bytes[end - 1] <= 0x0d))) end--;
  if (end > 0 && bytes[end - 1] === 0x2c) end--;
  if (end === 0) return undefined;
  const expected = out.length;
  let n = 0;
  let v = 0;
  let digits = 0;
  let negative = false;
  // One pass, one branch per byte in the common case; a number ends at a comma or at the end.
  for (let i = 0; i <= end; i++) {
    const c = i < end ? bytes[i] : 0x2c;
    const d = c - 0x30;
    if (d >= 0 && d <= 9) {
      v = v * 10 + d;
      digits++;
    } else if (c === 0x2c) {
      if (digits === 0 || digits > maxDigits || n === expected) return undefined;
      out[n++] = negative ? -v : v;
      v = 0;
      digits = 0;
      negative = false;
    } else if (c === 0x2d && digits === 0 && !negative) {
      negative = true;
    } else {
      return undefined;
    }
  }
  return n === expected ? out : undefined;
}

/** Parse one refs file; `shape` is what the caller expects (its product is the element count). */
export function parseRefsText(text: string, file: string, shape: readonly number[]): Float64Array {
  const expected = shape.reduce((a, b) => a * b, 1);
  const body = text.replace(/\s+$/, '');
  const parts = body.endsWith(',') ? body.slice(0, -1).split(',') : body.split(',');
  if (body.length === 0) fail('BAD_REF_FILE', `file is empty; expected ${describeShape(shape)}`, file);
  if (parts.length !== expected)
    fail('BAD_REF_FILE', `has ${parts.length} elements; expected ${describeShape(shape)} = ${expected}`, file);
  const out = new Float64Array(expected);
  for (let i = 0; i < expected; i++) {
    const s = parts[i];
    const v = Number(s);
    if (s.trim() === '' || !Number.isSafeInteger(v))
      fail('BAD_REF_FILE', `element ${i} is ${showValue(s)}, not an integer (expected ${describeShape(shape)})`, file);
    out[i] = v;
  }
  return out;
}

export function describeShape(shape: readonly number[]): string {
  return `[${shape.join('][')}] integers`;
}

export function toInt32(v: Float64Array, file: string): Int32Array {
  const out = new Int32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    if (v[i] > 2147483647 || v[i] < -2147483648)
      fail('BAD_REF_FILE', `element ${i} = ${v[i]} exceeds 32 bits`, file);
    out[i] = v[i];
  }
  return out;
}

/** Format a tensor in the refs' own text format (byte-identical to HG-PIPE's files). */
export function formatRefs(values: ArrayLike<number>): string {
  let s = '';
  const chunk: string[] = [];
  for (let i = 0; i < values.length; i++) {
    chunk.push(String(values[i]));
    if (chunk.length === 65536) {
      s += chunk.join(',') + ',';
      chunk.length = 0;
    }
  }
  if (chunk.length) s += chunk.join(',') + ',';
  return s;
}
