/**
 * A tensor as checkpoint files hold it: element type, shape, and C-contiguous little-endian bytes. Readers of every
 * format produce this; `floatValues` is the one conversion the importer needs.
 */
export type DType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export interface Tensor {
  dtype: DType;
  shape: number[];
  /** C-contiguous, little-endian; length = product(shape) · bytesPerElement(dtype). */
  bytes: Uint8Array;
}

export type NamedTensors = Map<string, Tensor>;
