import type { SoftmaxProcess } from '../types.ts';
import { type KindSpec, threePassKind } from './common.ts';

const rows = threePassKind<SoftmaxProcess>((p) => p.keys, 'keys');

/**
 * Three-pass softmax: per query pair, pass 0 reads the keys/cp scores (max), pass 1 exp-sums, pass 2 writes. A
 * padding key (validKeys < keys, token-pruned blocks) changes values only, not the timing.
 */
export const softmax: KindSpec<SoftmaxProcess> = {
  ...rows,
  check(p) {
    const out = rows.check(p);
    if (p.validKeys !== undefined && !(Number.isInteger(p.validKeys) && p.validKeys >= 1 && p.validKeys <= p.keys))
      out.push(['validKeys', `validKeys must be in 1..keys (${p.keys}), got ${p.validKeys}`]);
    return out;
  },
};
