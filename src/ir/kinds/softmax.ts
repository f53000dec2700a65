import type { SoftmaxProcess } from '../types.ts';
import { type KindSpec, threePassKind } from './common.ts';

/** Three-pass softmax: per query pair, pass 0 reads the keys/cp scores (max), pass 1 exp-sums, pass 2 writes. */
export const softmax: KindSpec<SoftmaxProcess> = threePassKind((p) => p.keys, 'keys');
