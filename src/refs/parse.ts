import { fail, showValue } from '../diag/index.ts';

/**
 * HG-PIPE's reference format: one line of comma-separated decimal integers with a trailing comma and no newline
 * (the files are meant to be #included in C array initialisers). Flat, row-major.
 */

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
