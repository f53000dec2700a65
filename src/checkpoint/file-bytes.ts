import { readFileSync } from 'node:fs';
import { fail } from '../diag/index.ts';

/**
 * A plain Uint8Array view of the same memory. Tensors hand out views of the file; as Buffers, their `slice()` would
 * also be a view (Buffer's, unlike Uint8Array's), so a caller copying with it would write into the file's bytes.
 */
export function plainBytes(b: Uint8Array): Uint8Array {
  return Buffer.isBuffer(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : b;
}

/** The checkpoint's bytes: those the caller already has, else the file's; an unreadable file is an IO_ERROR. */
export function readFileOrFail(file: string, bytes?: Uint8Array): Uint8Array {
  if (bytes) return plainBytes(bytes);
  try {
    return plainBytes(readFileSync(file));
  } catch (e) {
    return fail('IO_ERROR', `cannot read checkpoint: ${(e as Error).message}`, file);
  }
}
