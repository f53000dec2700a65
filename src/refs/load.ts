import type { ViTConfig } from '../model/index.ts';
import { diskRefs } from './format.ts';
import { weightsFromSource, type ModelWeights, type NormPlacement } from './weights.ts';

/** Load HG-PIPE's weights, tables and scalars from a refs directory on disk (SPEC §2). */
export function loadWeights(dir: string, config: ViTConfig, norm: NormPlacement = 'pre'): ModelWeights {
  return weightsFromSource(diskRefs(dir), config, norm);
}
