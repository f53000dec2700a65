import { z } from 'zod';
import { fail } from '../diag/index.ts';
import type { ModelGeometry } from './geometry.ts';
import { ModelHardwareSchema } from './hardware.ts';

/**
 * A Vision Transformer's geometry and quantization, enough to build its integer model and its dataflow pipeline.
 * `tokens` is the sequence length the hardware runs, CLS included: DeiT uses 1 + (image/patch)^2 = 197, while
 * HG-PIPE drops the last patch and runs 196 (SPEC §0).
 */
export const QuantConfigSchema = z.object({
  /** Weight bits inside the transformer blocks (q/k/v/o, fc1, fc2). */
  weightBits: z.number().int().min(1).max(16),
  /** Activation bits inside the blocks (LayerNorm, quantizer, softmax and GELU outputs). */
  activationBits: z.number().int().min(1).max(16),
  /** Bits of the residual stream between blocks (widest block output). */
  residualBits: z.number().int().min(2).max(32),
  /** Weight and input bits of the patch embedding. */
  embedBits: z.number().int().min(1).max(16),
  /** Weight and LayerNorm-output bits of the classification head. */
  headBits: z.number().int().min(1).max(16),
});

export const ViTConfigSchema = z
  .object({
    // Upper bounds far above any ViT built so far, so that a typo cannot send the planner into hours of work or
    // out of memory (README, "Limits").
    name: z.string().min(1).max(200),
    imageSize: z.number().int().positive().max(8192),
    patchSize: z.number().int().positive().max(1024),
    inChannels: z.number().int().positive().max(64).default(3),
    width: z.number().int().positive().max(16384),
    depth: z.number().int().positive().max(256),
    heads: z.number().int().positive().max(1024),
    mlpRatio: z.number().positive().max(64),
    numClasses: z.number().int().positive().max(1_000_000),
    tokens: z.number().int().positive().max(65536),
    quant: QuantConfigSchema,
    /** A quantized model's own structure and widths (src/model/hardware.ts); absent: HG-PIPE's pre-norm structure. */
    hardware: ModelHardwareSchema.optional(),
  })
  .strict();

export type QuantConfig = z.infer<typeof QuantConfigSchema>;
export type ViTConfig = z.infer<typeof ViTConfigSchema>;

/** Derived sizes every layer needs. */
export interface ViTShape {
  patches: number; // patches in the image grid
  patchElements: number; // inChannels · patch²
  headDim: number;
  mlpHidden: number;
}

export function shapeOf(cfg: ViTConfig): ViTShape {
  const grid = cfg.imageSize / cfg.patchSize;
  return {
    patches: grid * grid,
    patchElements: cfg.inChannels * cfg.patchSize * cfg.patchSize,
    headDim: cfg.width / cfg.heads,
    mlpHidden: Math.round(cfg.width * cfg.mlpRatio),
  };
}

/** The geometry a model folder records (quant.json), from a ViTConfig. */
export function modelGeometry(cfg: ViTConfig): ModelGeometry {
  const { mlpHidden } = shapeOf(cfg);
  const { imageSize, patchSize, inChannels, width, depth, heads, numClasses, tokens } = cfg;
  return { imageSize, patchSize, inChannels, width, depth, heads, mlpHidden, numClasses, tokens };
}

/** Hardware block names in network order for `depth` transformer layers, as the RTL and hardware-types.json name them. */
export function blockNames(depth: number): string[] {
  const names = ['PATCH_EMBED'];
  for (let n = 0; n < depth; n++) names.push(`ATTN${n}`, `MLP${n}`);
  names.push('HEAD');
  return names;
}

/** Geometric sanity beyond the schema: divisibility that every later layer relies on. */
export function checkViTConfig(cfg: ViTConfig, where = cfg.name): ViTConfig {
  if (cfg.imageSize % cfg.patchSize !== 0)
    fail('BAD_MODEL', `imageSize ${cfg.imageSize} is not a multiple of patchSize ${cfg.patchSize}`, where);
  if (cfg.width % cfg.heads !== 0)
    fail('BAD_MODEL', `width ${cfg.width} is not divisible by heads ${cfg.heads}`, where);
  const { patches } = shapeOf(cfg);
  if (cfg.tokens < 2 || cfg.tokens > patches + 1)
    fail('BAD_MODEL', `tokens ${cfg.tokens} must be between 2 and patches + 1 = ${patches + 1}`, where);
  const hw = cfg.hardware;
  if (hw && (hw.attn.length !== cfg.depth || hw.mlp.length !== cfg.depth))
    fail('BAD_MODEL', `hardware describes ${hw.attn.length} attention and ${hw.mlp.length} MLP blocks, the model has depth ${cfg.depth}`, where);
  return cfg;
}

const W3A3: QuantConfig = { weightBits: 3, activationBits: 3, residualBits: 15, embedBits: 8, headBits: 8 };
/** Standard DeiT quantized like HG-PIPE (its published model is DeiT-tiny at W3A3). */
const deit = (name: string, width: number, heads: number): ViTConfig => ({
  name,
  imageSize: 224,
  patchSize: 16,
  inChannels: 3,
  width,
  depth: 12,
  heads,
  mlpRatio: 4,
  numClasses: 1000,
  tokens: 197,
  quant: W3A3,
});

export const MODEL_ZOO: Readonly<Record<string, ViTConfig>> = {
  'deit-tiny': deit('deit-tiny', 192, 3),
  'deit-small': deit('deit-small', 384, 6),
  'deit-base': deit('deit-base', 768, 12),
  'hgpipe-deit-tiny': { ...deit('hgpipe-deit-tiny', 192, 3), tokens: 196 },
};

export const DEFAULT_MODEL = 'hgpipe-deit-tiny';

export function modelNames(): string[] {
  return Object.keys(MODEL_ZOO);
}
