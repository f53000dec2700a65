import type { LayerNormProcess } from '../types.ts';
import { type KindSpec, threePassKind } from './common.ts';

/** Three-pass LayerNorm: per token pair, pass 0 reads CT beats (mean), pass 1 computes the variance, pass 2 writes. */
export const layerNorm: KindSpec<LayerNormProcess> = threePassKind((p) => p.channels, 'channels');
