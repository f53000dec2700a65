import { z } from 'zod';

/** A ViT's geometry as model folders record it (float and quantized alike). */
export const ModelGeometrySchema = z
  .object({
    imageSize: z.number().int().positive(),
    patchSize: z.number().int().positive(),
    inChannels: z.number().int().positive(),
    width: z.number().int().positive(),
    depth: z.number().int().positive(),
    heads: z.number().int().positive(),
    mlpHidden: z.number().int().positive(),
    numClasses: z.number().int().positive(),
    /** Sequence length, CLS included: 1 + (imageSize / patchSize)². */
    tokens: z.number().int().positive(),
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
