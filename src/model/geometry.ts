import { z } from 'zod';

/** A ViT's geometry as model folders record it (float and quantized alike). */
export const ModelGeometrySchema = z
  .object({
    // Bounds as ViTConfigSchema's: far above any ViT so far, below what would exhaust the machine.
    imageSize: z.number().int().positive().max(8192),
    patchSize: z.number().int().positive().max(1024),
    inChannels: z.number().int().positive().max(64),
    width: z.number().int().positive().max(16384),
    depth: z.number().int().positive().max(256),
    heads: z.number().int().positive().max(1024),
    mlpHidden: z.number().int().positive().max(1_048_576),
    numClasses: z.number().int().positive().max(1_000_000),
    /** Sequence length, CLS included: 1 + (imageSize / patchSize)². */
    tokens: z.number().int().positive().max(65536),
  })
  .strict();

const triple = z.tuple([z.number(), z.number(), z.number()]);

/**
 * Photo → input tensor: decode to RGB, resize the shorter side to `resize` (interpolation; `none` = the photo must
 * already be crop × crop), centre-crop `crop` × `crop`, then x = (v / 255 − mean_c) / std_c.
 */
export const InputPipelineSchema = z
  .object({
    resize: z.number().int().positive(),
    crop: z.number().int().positive(),
    interpolation: z.enum(['bicubic', 'bilinear', 'none']),
    mean: triple,
    std: triple,
  })
  .strict();

export type ModelGeometry = z.infer<typeof ModelGeometrySchema>;
export type InputPipeline = z.infer<typeof InputPipelineSchema>;
