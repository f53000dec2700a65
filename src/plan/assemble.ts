import type { ViTConfig } from '../model/index.ts';
import {
  buildAttnBlock,
  buildHeadBlock,
  buildMlpBlock,
  buildPatchEmbedBlock,
  designGeometry,
  geometriesOf,
  structuralKey,
  validateDesign,
  type AttnConfig,
  type Block,
  type Design,
  type HeadConfig,
  type MlpConfig,
  type PatchEmbedConfig,
} from '../ir/index.ts';

/**
 * Turning a planner choice into an IR design. The planner picks one configuration per block kind (all transformer
 * layers of a ViT share their shapes); this file builds the blocks with the IR's builders in the padded token slots
 * the hardware runs (`paddedTokens`).
 */
export interface KindConfigs {
  patchEmbed: PatchEmbedConfig;
  attn: AttnConfig;
  mlp: MlpConfig;
  head: HeadConfig;
  linkDepth: number;
}

/** Tokens per beat in every transformer block (HG-PIPE's token pairs; the K/V reshapers are built for 2). */
export const TP = 2;

/**
 * Token slots the hardware runs: the model's tokens rounded up to a multiple of TP. DeiT's 197 tokens run as 198
 * (one idle slot per image, 0.5 % of the cycles); HG-PIPE's 196 run as is.
 */
export function paddedTokens(model: ViTConfig): number {
  return Math.ceil(model.tokens / TP) * TP;
}

/** The builders' geometries of `model`, in its padded token slots. */
function geometries(model: ViTConfig) {
  return geometriesOf({ ...model, tokens: paddedTokens(model) });
}

/** Every block of `model` with one configuration per block kind, in network order. */
function networkBlocks(model: ViTConfig, k: KindConfigs): Block[] {
  const { g, ends: e } = geometries(model);
  const blocks: Block[] = [buildPatchEmbedBlock(e, k.patchEmbed)];
  for (let i = 0; i < model.depth; i++) {
    blocks.push(buildAttnBlock(`ATTN${i}`, i, g, k.attn));
    blocks.push(buildMlpBlock(`MLP${i}`, i, g, k.mlp));
  }
  blocks.push(buildHeadBlock(e, k.head));
  return blocks;
}

/** Build and validate the design of `model` with one configuration per block kind (a folder's model is recorded). */
export function assembleDesign(model: ViTConfig, k: KindConfigs, name: string): Design {
  return validateDesign({ name, model: model.name, ...designGeometry(model), blocks: networkBlocks(model, k), linkDepth: k.linkDepth });
}

/**
 * The design's distinct block structures with how many blocks share each, for costing. A zoo model's transformer
 * layers are all alike (one block per kind is built); a quantized folder's differ in widths and input requantizers.
 */
export function distinctBlocks(model: ViTConfig, k: KindConfigs): Array<{ kind: Block['kind']; count: number; block: Block }> {
  if (!model.hardware) {
    const counts = { 'patch-embed': 1, attn: model.depth, mlp: model.depth, head: 1 };
    return (['patch-embed', 'attn', 'mlp', 'head'] as const).map((kind) => ({ kind, count: counts[kind], block: assembleBlock(model, k, kind) }));
  }
  const groups = new Map<string, { kind: Block['kind']; count: number; block: Block }>();
  for (const block of networkBlocks(model, k)) {
    const key = structuralKey(block);
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { kind: block.kind, count: 1, block });
  }
  return [...groups.values()];
}

/** One block of a kind, built alone (the planner's inner loop). */
export function assembleBlock(model: ViTConfig, k: KindConfigs, kind: Block['kind']): Block {
  const { g, ends: e } = geometries(model);
  switch (kind) {
    case 'patch-embed':
      return buildPatchEmbedBlock(e, k.patchEmbed);
    case 'attn':
      return buildAttnBlock('ATTN0', 0, g, k.attn);
    case 'mlp':
      return buildMlpBlock('MLP0', 0, g, k.mlp);
    case 'head':
      return buildHeadBlock(e, k.head);
  }
}
