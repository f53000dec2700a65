import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { isVitpipeError } from '../../src/diag/index.ts';
import { isFloatModelFolder } from '../../src/float/index.ts';
import { loadQuantizedModel } from '../../src/engine/index.ts';
import { isQuantizedFolder, MODEL_ZOO, type ViTConfig } from '../../src/model/index.ts';
import { defaultTypesFile, diskRefs, recordingSource, weightsFromSource } from '../../src/refs/index.ts';

/** What the page learns about the weights folder the server was given (`/api/info`). */
export interface WeightsInfo {
  path: string;
  kind: 'refs' | 'quantized' | 'float' | 'unknown';
  /** The refs files loading reads (the page fetches exactly these and parses them with the same parser). */
  files: string[];
  /** hardware-types.json, found beside or inside the folder as the CLI looks for it. */
  typesFile: string | null;
  /** Why the page cannot classify with this folder (a missing or damaged file, an unsupported kind). */
  error: string | null;
  /** A quantized folder's model (its own geometry, widths and tables), which the Plan view offers beside the zoo. */
  model: ViTConfig | null;
}

/**
 * Check a refs folder once, with the CLI's own loader through a recording source: the names it reads are the list
 * the page fetches, and a missing or damaged file is reported before anyone drops a photo.
 */
export function inspectWeights(dir: string): WeightsInfo {
  const path = resolve(dir);
  const info: WeightsInfo = { path, kind: 'unknown', files: [], typesFile: null, error: null, model: null };
  if (!existsSync(path) || !statSync(path).isDirectory()) return { ...info, error: `${path}: no such folder` };
  if (isQuantizedFolder(path)) {
    let model: ViTConfig;
    try {
      model = loadQuantizedModel(path);
    } catch (e) {
      if (!isVitpipeError(e)) throw e;
      return { ...info, kind: 'quantized', error: e.message };
    }
    return { ...info, kind: 'quantized', model, error: 'quantized model folders run with the CLI (`vitpipe infer`); the explorer page classifies with an HG-PIPE refs folder (Plan and Simulate offer this folder\'s model)' };
  }
  if (isFloatModelFolder(path)) return { ...info, kind: 'float', error: 'float model folders run with the CLI (`vitpipe infer`); the explorer page classifies with an HG-PIPE refs folder' };
  const rec = recordingSource(diskRefs(path));
  try {
    weightsFromSource(rec.source, MODEL_ZOO['hgpipe-deit-tiny']);
  } catch (e) {
    if (!isVitpipeError(e)) throw e;
    return { ...info, kind: 'refs', error: e.message + (e.diagnostic.hint ? ` (${e.diagnostic.hint})` : '') };
  }
  return { ...info, kind: 'refs', files: [...rec.names], typesFile: defaultTypesFile(path) ?? null };
}
