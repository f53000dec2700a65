import { z } from 'zod';

/**
 * A quantized model's own block structure and integer widths, as its hardware runs them: where each block's
 * LayerNorm sits, the MLP activation, every table's size and every stream's and accumulator's width. Built from a
 * quantized folder (`loadQuantizedModel`, src/engine/folder-model.ts: the engine's weights and hardware-types.json);
 * a ViTConfig without it is HG-PIPE's pre-norm structure with the IR's default widths.
 */
const pos = z.number().int().positive();
const bits = z.number().int().min(1).max(64);

/** A lookup table (ROM): `entries` words of `bits`. Requantizer tables hold the output codes: only entries are given. */
export const TableSizeSchema = z.object({ entries: pos, bits }).strict();

/** Shared by attention and MLP blocks: the residual stream in and out, the post-norm input requantizer and sum. */
const residualFields = {
  /** Element bits of the block input (the previous block's output) and output streams. */
  inBits: bits,
  outBits: bits,
  /** Post-norm: entries of the `xq` table requantizing the input to the matmuls' codes (absent: no such table). */
  inQuantEntries: pos.optional(),
  /** Post-norm: the residual sum (the LayerNorm's input). */
  sumBits: bits.optional(),
  /** LayerNorm's 1/√variance table. */
  rsqrt: TableSizeSchema,
};

export const AttnHardwareSchema = z
  .object({
    ...residualFields,
    /** Accumulators of the q, k, v and output projections. */
    qAcc: bits,
    kAcc: bits,
    vAcc: bits,
    oAcc: bits,
    /** QKᵀ scores (the softmax input) and R·V outputs (the attention-output requantizer's input). */
    scoreBits: bits,
    headOutBits: bits,
    /** Entries of the requantizer tables after q, k, v and R·V. */
    qEntries: pos,
    kEntries: pos,
    vEntries: pos,
    aEntries: pos,
    /** The softmax's exp table and its reciprocal's two segment tables. */
    exp: TableSizeSchema,
    recip: z.tuple([TableSizeSchema, TableSizeSchema]),
  })
  .strict();

export const MlpHardwareSchema = z
  .object({
    ...residualFields,
    fc1Acc: bits,
    fc2Acc: bits,
    /** Entries of the activation table (ReLU or GELU fused with its requantization). */
    actEntries: pos,
  })
  .strict();

export const ModelHardwareSchema = z
  .object({
    norm: z.enum(['pre', 'post']),
    activation: z.enum(['relu', 'gelu']),
    patchEmbed: z.object({ accBits: bits, outBits: bits }).strict(),
    attn: z.array(AttnHardwareSchema).min(1),
    mlp: z.array(MlpHardwareSchema).min(1),
    head: z.object({ inBits: bits, accBits: bits, rsqrt: TableSizeSchema }).strict(),
  })
  .strict();

export type TableSize = z.infer<typeof TableSizeSchema>;
export type AttnHardware = z.infer<typeof AttnHardwareSchema>;
export type MlpHardware = z.infer<typeof MlpHardwareSchema>;
export type ModelHardware = z.infer<typeof ModelHardwareSchema>;
