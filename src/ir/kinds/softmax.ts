import type { TableSize } from '../../model/index.ts';
import type { SoftmaxProcess } from '../types.ts';
import { type KindSpec, checkTable, threePassKind } from './common.ts';

/** HG-PIPE's softmax tables (SPEC §1.5): exp 32 × 16 bits, each reciprocal segment 64 × 8 bits. */
export const HGPIPE_EXP: TableSize = { entries: 32, bits: 16 };
export const HGPIPE_RECIP: [TableSize, TableSize] = [{ entries: 64, bits: 8 }, { entries: 64, bits: 8 }];
export const softmaxTables = (p: SoftmaxProcess) => ({ exp: p.exp ?? HGPIPE_EXP, recip: p.recip ?? HGPIPE_RECIP });

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
    if (p.exp) checkTable(out, 'exp', p.exp);
    p.recip?.forEach((t, k) => checkTable(out, `recip[${k}]`, t));
    return out;
  },
};
