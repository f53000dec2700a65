import type { TableSize } from '../../model/index.ts';
import type { LayerNormProcess } from '../types.ts';
import { type KindSpec, checkTable, threePassKind } from './common.ts';

/** HG-PIPE's 1/√variance table (SPEC §1.4): 128 entries of 12 bits. */
export const HGPIPE_RSQRT: TableSize = { entries: 128, bits: 12 };
export const rsqrtTable = (p: LayerNormProcess): TableSize => p.rsqrt ?? HGPIPE_RSQRT;

const rows = threePassKind<LayerNormProcess>((p) => p.channels, 'channels');

/** Three-pass LayerNorm: per token pair, pass 0 reads CT beats (mean), pass 1 computes the variance, pass 2 writes. */
export const layerNorm: KindSpec<LayerNormProcess> = {
  ...rows,
  check(p) {
    const out = rows.check(p);
    if (p.rsqrt) checkTable(out, 'rsqrt', p.rsqrt);
    return out;
  },
};
