import { fail } from '../diag/index.ts';
import type { DType, Tensor } from './tensor.ts';

const BYTES_PER_ELEMENT: Record<DType, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export const DTYPES = Object.keys(BYTES_PER_ELEMENT) as DType[];

export function isDType(s: unknown): s is DType {
  return typeof s === 'string' && Object.hasOwn(BYTES_PER_ELEMENT, s);
}

export function bytesPerElement(dtype: DType): number {
  return BYTES_PER_ELEMENT[dtype];
}

/** Number of elements of a shape (1 for a scalar's empty shape). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** Typed-array views below read the platform's byte order; every tensor is little-endian, so check once. */
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** IEEE half → float32, exactly (every half, subnormals included, is a float32). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1024 + frac) * 2 ** (exp - 25);
}

/** Every element as float32 (F64 rounds to nearest float32; F16 and BF16 are exact; ints convert, bool → 0/1). */
export function floatValues(t: Tensor): Float32Array {
  const n = elementCount(t.shape);
  const bpe = bytesPerElement(t.dtype);
  if (t.bytes.length !== n * bpe)
    fail('BAD_ARGUMENT', `tensor of shape [${t.shape.join(', ')}] ${t.dtype} has ${t.bytes.length} bytes, expected ${n * bpe}`);
  const view = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  const out = new Float32Array(n);
  switch (t.dtype) {
    case 'F32':
      if (LITTLE_ENDIAN_HOST) out.set(new Float32Array(new Uint8Array(t.bytes).buffer)); // a copy: views may be unaligned
      else for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      break;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
      break;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      break;
    case 'BF16': {
      // bfloat16 is the top half of a float32: shift the bits into place (both views use the host's order).
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      break;
    }
    case 'I64':
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(8 * i, true));
      break;
    case 'I32':
      for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, true);
      break;
    case 'I16':
      for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i, true);
      break;
    case 'I8':
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      break;
    case 'U8':
      for (let i = 0; i < n; i++) out[i] = t.bytes[i];
      break;
    case 'BOOL':
      for (let i = 0; i < n; i++) out[i] = t.bytes[i] ? 1 : 0;
      break;
  }
  return out;
}

/** A float32 tensor holding `values` (copied) in little-endian order. */
export function float32Tensor(shape: number[], values: Float32Array): Tensor {
  const n = elementCount(shape);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) fail('BAD_ARGUMENT', `invalid tensor shape [${shape.join(', ')}]`);
  if (values.length !== n) fail('BAD_ARGUMENT', `${values.length} values for shape [${shape.join(', ')}] (${n} elements)`);
  const bytes = new Uint8Array(4 * n);
  if (LITTLE_ENDIAN_HOST) bytes.set(new Uint8Array(values.buffer, values.byteOffset, 4 * n));
  else {
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < n; i++) view.setFloat32(4 * i, values[i], true);
  }
  return { dtype: 'F32', shape: [...shape], bytes };
}
