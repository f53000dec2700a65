import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { ViTConfig } from './config.ts';
import { InputPipelineSchema, ModelGeometrySchema } from './geometry.ts';

/**
 * A quantized model folder (`vitpipe quantize`): `quant.json` (this schema), every integer weight, bias, table and
 * scalar in HG-PIPE's reference format (one-line integer files, SPEC §2, same names; post-norm blocks add
 * `<block>_xq_*`), and `hardware-types.json` (the width of every intermediate). docs/QUANTIZATION.md has the method.
 */
export const QUANT_MANIFEST_FILE = 'quant.json';
export const QUANT_FORMAT = 'vitpipe-quantized-model';

export const BIT_SETTINGS = ['w8a8', 'w6a6', 'w4a8', 'w4a4', 'w3a3'] as const;
export type BitSetting = (typeof BIT_SETTINGS)[number];

export const QuantManifestSchema = z
  .object({
    format: z.literal(QUANT_FORMAT),
    version: z.literal(1),
    name: z.string().min(1),
    bits: z.string(),
    /** The float folder's geometry (tokens = 1 + patches: no patch is dropped). */
    geometry: ModelGeometrySchema,
    norm: z.enum(['pre', 'post']),
    activation: z.enum(['relu', 'gelu']),
    quant: z
      .object({
        weightBits: z.number().int().min(2).max(8),
        activationBits: z.number().int().min(2).max(8),
        /** Bits of the codes between post-norm blocks (LayerNorm outputs); pre-norm streams are wide accumulators. */
        streamBits: z.number().int().min(2).max(16),
        embedBits: z.number().int().min(2).max(8),
        headBits: z.number().int().min(2).max(8),
      })
      .strict(),
    /**
     * Photo → patch codes: the float folder's pipeline up to the cropped 8-bit pixels, then code = pixel − 128; the
     * normalisation (v/255 − mean)/std is folded into the patch embedding's weights and bias, so it costs no precision.
     */
    input: InputPipelineSchema,
    classes: z.array(z.string()),
    calibration: z
      .object({
        images: z.number().int().nonnegative(),
        marginBits: z.number().int().nonnegative(),
        source: z.string(),
        /** The calibration photo whose engine tensors the folder holds in the reference format (for C simulation). */
        reference: z.string().optional(),
      })
      .strict(),
    /** Float value of one integer step of each named tensor (informational; the integer files are what runs). */
    scales: z.record(z.string(), z.number()),
  })
  .strict();

export type QuantManifest = z.infer<typeof QuantManifestSchema>;

export function isQuantizedFolder(dir: string): boolean {
  try {
    return statSync(dir).isDirectory() && existsSync(join(dir, QUANT_MANIFEST_FILE));
  } catch {
    return false;
  }
}

/** The integer engine's model description of a quantized folder. */
export function quantizedConfig(m: QuantManifest): ViTConfig {
  const g = m.geometry;
  return {
    name: m.name,
    imageSize: g.imageSize,
    patchSize: g.patchSize,
    inChannels: g.inChannels,
    width: g.width,
    depth: g.depth,
    heads: g.heads,
    mlpRatio: g.mlpHidden / g.width,
    numClasses: g.numClasses,
    tokens: g.tokens,
    quant: {
      weightBits: m.quant.weightBits,
      activationBits: m.quant.activationBits,
      residualBits: Math.max(m.quant.streamBits, 16),
      embedBits: m.quant.embedBits,
      headBits: m.quant.headBits,
    },
  };
}
