import { join } from 'node:path';
import { z } from 'zod';
import { fail, readJsonFile } from '../diag/index.ts';
import { imageToInput } from '../float/index.ts';
import { QUANT_MANIFEST_FILE, QuantManifestSchema, quantizedConfig, type QuantManifest } from '../model/index.ts';
import { loadWeights, type ModelWeights } from '../refs/index.ts';

/** A quantized model folder loaded for the engine: its manifest and its integer weights. */
export interface QuantizedFolder {
  manifest: QuantManifest;
  weights: ModelWeights;
}

export function readQuantManifest(dir: string): QuantManifest {
  const file = join(dir, QUANT_MANIFEST_FILE);
  const parsed = QuantManifestSchema.safeParse(readJsonFile(file, 'BAD_MODEL', 'quantized model manifest'));
  if (!parsed.success) fail('BAD_MODEL', z.prettifyError(parsed.error).replace(/\n+/g, '; '), file);
  return parsed.data;
}

export function loadQuantizedFolder(dir: string): QuantizedFolder {
  const manifest = readQuantManifest(dir);
  return { manifest, weights: loadWeights(dir, quantizedConfig(manifest), manifest.norm) };
}

/**
 * A normalised input image (C × S × S, the float model's input) → the patch-embedding codes [tokens][C·P·P]: each
 * pixel's 8-bit value is recovered exactly from x = (v/255 − mean)/std and coded as v − 128; row 0 is the CLS slot
 * (zero), row 1 + p is patch p in (c, ky, kx) order, as the conv weight is laid out.
 */
export function inputToCodes(input: Float64Array, m: QuantManifest): Int32Array {
  const { imageSize: S, patchSize: P, inChannels: C, tokens } = m.geometry;
  const { mean, std } = m.input;
  const grid = S / P;
  const pe = C * P * P;
  const out = new Int32Array(tokens * pe);
  for (let py = 0; py < grid; py++)
    for (let px = 0; px < grid; px++) {
      let o = (1 + py * grid + px) * pe;
      for (let c = 0; c < C; c++)
        for (let ky = 0; ky < P; ky++) {
          const row = (c * S + py * P + ky) * S + px * P;
          for (let kx = 0; kx < P; kx++) out[o++] = Math.round((input[row + kx] * std[c] + mean[c]) * 255) - 128;
        }
    }
  return out;
}

/** A photo through the folder's input pipeline to patch-embedding codes. */
export async function photoToCodes(file: string, m: QuantManifest): Promise<Int32Array> {
  return inputToCodes(await imageToInput(file, m.input), m);
}
