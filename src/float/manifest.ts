import { z } from 'zod';
import { InputPipelineSchema, ModelGeometrySchema } from '../model/index.ts';

/**
 * A float model folder's manifest (`model.json`): everything needed to run the model from its tensors
 * (`weights.safetensors`, canonical names below) with no other input. Its own schema, not `plan --model`'s geometry.
 *
 * Canonical tensors (float32, row-major; every Linear is y = x·Wᵀ + b with W stored out × in):
 *   patch_embed.weight [D, C, P, P]   patch_embed.bias [D]        (Conv2d, kernel = stride = P)
 *   cls_token [D]                     pos_embed [T, D]            (added after the CLS token is prepended)
 *   blocks.{i}.norm1.{weight,bias} [D]
 *   blocks.{i}.attn.qkv.weight [3D, D]  .bias [3D]               (rows 0:D q, D:2D k, 2D:3D v; head h = channels h·dh …)
 *   blocks.{i}.attn.proj.weight [D, D]  .bias [D]
 *   blocks.{i}.norm2.{weight,bias} [D]
 *   blocks.{i}.mlp.fc1.weight [H, D] .bias [H]   blocks.{i}.mlp.fc2.weight [D, H] .bias [D]
 *   head_norm.{weight,bias} [D]       (only when head.norm)       head.weight [K, D]  head.bias [K]
 *
 * Block semantics: pre-norm  x += attn(norm1(x)); x += mlp(norm2(x))
 *                  post-norm x = norm1(x + attn(x)); x = norm2(x + mlp(x))
 * attn: softmax((q_h / √dh) k_hᵀ) v_h per head, concatenated, proj. mlp: fc2(act(fc1(x))), act = ReLU or exact (erf) GELU.
 * Head: the CLS row (token 0) → optional LayerNorm (head_norm, eps head.eps) → head. LayerNorm: biased variance.
 */
export const FLOAT_MODEL_FORMAT = 'vitpipe-float-model';
export const MANIFEST_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.safetensors';

export const FloatManifestSchema = z
  .object({
    format: z.literal(FLOAT_MODEL_FORMAT),
    version: z.literal(1),
    name: z.string().min(1),
    /** Where the tensors came from (informational). */
    source: z.object({ file: z.string(), family: z.enum(['torch-encoder', 'timm-vit']), sha256: z.string() }).strict(),
    geometry: ModelGeometrySchema,
    block: z
      .object({
        norm: z.enum(['pre', 'post']),
        activation: z.enum(['relu', 'gelu']),
        eps: z.number().positive(),
      })
      .strict(),
    head: z.object({ norm: z.boolean(), eps: z.number().positive() }).strict(),
    input: InputPipelineSchema,
    classes: z.array(z.string()),
  })
  .strict();

export type FloatManifest = z.infer<typeof FloatManifestSchema>;
export type FloatGeometry = FloatManifest['geometry'];

/** Canonical tensor names and shapes a manifest requires, in a fixed order (the order the folder stores them). */
export function expectedTensors(m: FloatManifest): { name: string; shape: number[] }[] {
  const { inChannels: C, patchSize: P, width: D, depth, mlpHidden: H, numClasses: K, tokens: T } = m.geometry;
  const out: { name: string; shape: number[] }[] = [
    { name: 'patch_embed.weight', shape: [D, C, P, P] },
    { name: 'patch_embed.bias', shape: [D] },
    { name: 'cls_token', shape: [D] },
    { name: 'pos_embed', shape: [T, D] },
  ];
  for (let i = 0; i < depth; i++) {
    const b = `blocks.${i}`;
    out.push(
      { name: `${b}.norm1.weight`, shape: [D] },
      { name: `${b}.norm1.bias`, shape: [D] },
      { name: `${b}.attn.qkv.weight`, shape: [3 * D, D] },
      { name: `${b}.attn.qkv.bias`, shape: [3 * D] },
      { name: `${b}.attn.proj.weight`, shape: [D, D] },
      { name: `${b}.attn.proj.bias`, shape: [D] },
      { name: `${b}.norm2.weight`, shape: [D] },
      { name: `${b}.norm2.bias`, shape: [D] },
      { name: `${b}.mlp.fc1.weight`, shape: [H, D] },
      { name: `${b}.mlp.fc1.bias`, shape: [H] },
      { name: `${b}.mlp.fc2.weight`, shape: [D, H] },
      { name: `${b}.mlp.fc2.bias`, shape: [D] },
    );
  }
  if (m.head.norm) out.push({ name: 'head_norm.weight', shape: [D] }, { name: 'head_norm.bias', shape: [D] });
  out.push({ name: 'head.weight', shape: [K, D] }, { name: 'head.bias', shape: [K] });
  return out;
}

/** The float model in memory: manifest plus its canonical tensors as float32 arrays. */
export interface FloatModel {
  manifest: FloatManifest;
  tensors: ReadonlyMap<string, Float32Array>;
}
