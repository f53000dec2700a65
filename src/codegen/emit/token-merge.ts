import { fail } from '../../diag/index.ts';
import type { TokenMergeProcess } from '../../ir/index.ts';
import { type KindEmitter } from './common.ts';

/**
 * Token merging (src/ir/kinds/token-merge.ts) is simulated and planned but not generated yet: its hardware needs the
 * token sizes of the previous merge unit (a link beside the block chain, for the size-weighted mean and the softmax's
 * size bias), which the design format does not have. `vitpipe generate` says so instead of emitting a wrong design.
 */
export const tokenMerge: KindEmitter<TokenMergeProcess> = {
  outFields: (p, _b, inFields) => p.outputs.map(() => inFields[0]),
  emit: (p) =>
    fail('BAD_DESIGN', 'token merging is simulated and planned, but HLS C++ is not generated for it yet (the token sizes need a link between merge units)', `process ${p.name}`),
};
