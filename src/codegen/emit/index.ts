import type { Process, ProcessKind } from '../../ir/index.ts';
import type { KindEmitter } from './common.ts';
import { layerNorm, mac, requant, residualMerge, softmax } from './compute.ts';
import {
  adapter, clsSelect, headMerge, headSplit, reshapeReorder, reshapeUnpack, streamCopy, weightCache, windowCache,
} from './movement.ts';
import { scoreTap, tokenSelect } from './token-select.ts';
import { tokenMerge } from './token-merge.ts';

export * from './common.ts';

type EmitterTable = { [K in ProcessKind]: KindEmitter<Extract<Process, { kind: K }>> };

/** One C++ emitter per IR process kind; the record type makes a missing kind a compile error. */
export const EMITTERS: EmitterTable = {
  'stream-copy': streamCopy,
  'cls-select': clsSelect,
  adapter,
  'window-cache': windowCache,
  mac,
  'weight-cache': weightCache,
  layernorm: layerNorm,
  softmax,
  requant,
  'head-split': headSplit,
  'head-merge': headMerge,
  'residual-merge': residualMerge,
  'reshape-unpack': reshapeUnpack,
  'reshape-reorder': reshapeReorder,
  'token-select': tokenSelect,
  'score-tap': scoreTap,
  'token-merge': tokenMerge,
};

export function emitterOf<P extends Process>(p: P): KindEmitter<P> {
  return EMITTERS[p.kind] as unknown as KindEmitter<P>;
}
