import type { Process, ProcessKind, TimingProgram } from '../types.ts';
import { adapter } from './adapter.ts';
import { clsSelect } from './cls-select.ts';
import { type KindSpec, programCycles } from './common.ts';
import { headMerge, headSplit } from './head-split.ts';
import { layerNorm } from './layernorm.ts';
import { mac } from './mac.ts';
import { requant } from './requant.ts';
import { reshapeReorder, reshapeUnpack } from './reshape.ts';
import { residualMerge } from './residual-merge.ts';
import { softmax } from './softmax.ts';
import { streamCopy } from './stream-copy.ts';
import { scoreTap, tokenSelect } from './token-select.ts';
import { tokenMerge } from './token-merge.ts';
import { weightCache } from './weight-cache.ts';
import { windowCache } from './window-cache.ts';

export * from './common.ts';
export { lcm } from './reshape.ts';
export { HGPIPE_RSQRT, rsqrtTable } from './layernorm.ts';
export { weightCacheTiles } from './weight-cache.ts';
export { HGPIPE_EXP, HGPIPE_RECIP, softmaxTables } from './softmax.ts';
export { DIVIDER_DEPTH, selectedTokens, tokenSelectGeometry } from './token-select.ts';
export { RANK_LANES, tokenMergeGeometry } from './token-merge.ts';

type SpecTable = { [K in ProcessKind]: KindSpec<Extract<Process, { kind: K }>> };

/** One spec per process kind; the record type makes the union closed (a new kind must be added here). */
export const KIND_SPECS: SpecTable = {
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

export const PROCESS_KINDS = Object.keys(KIND_SPECS) as ProcessKind[];

function specOf<P extends Process>(p: P): KindSpec<P> {
  return KIND_SPECS[p.kind] as unknown as KindSpec<P>;
}
export const processTiming = (p: Process): TimingProgram => specOf(p).timing(p);
/** Analytic cycles per image of a process when never stalled, exit slot included (its own interval): what its
 * timing program takes unstalled. */
export const processCycles = (p: Process): number => programCycles(processTiming(p));
export const processPorts = (p: Process) => specOf(p).ports(p);
export const processChecks = (p: Process) => specOf(p).check(p);
export { sparseIterations, tileSequence, rowEndPredicate, weightMemoryOf, columnBits, sameSparsity } from './sparse.ts';
