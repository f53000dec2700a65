import { MODEL_ZOO, type ModelGeometry, type ViTConfig, checkViTConfig, modelGeometry, shapeOf } from '../model/index.ts';
import { buildAttnBlock } from './build-attn.ts';
import { buildHeadBlock, buildPatchEmbedBlock, type EndsGeometry } from './build-ends.ts';
import { type BlockGeometry, buildMlpBlock } from './build-mlp.ts';
import {
  type AttnConfig, type BlockConfig, HGPIPE_ATTN, HGPIPE_HEAD, HGPIPE_LN13_ATTN, HGPIPE_LN13_MLP, HGPIPE_MLP,
  HGPIPE_PATCH_EMBED, type HeadConfig, type MlpConfig, type PatchEmbedConfig,
} from './config.ts';
import type { Block, Design } from './types.ts';
import { validateDesign } from './validate.ts';

/** Hardware choices for a whole network: one config per block, in order PATCH_EMBED, ATTN0, MLP0, …, HEAD. */
export interface DesignConfig {
  name: string;
  patchEmbed: PatchEmbedConfig;
  attn: AttnConfig[];
  mlp: MlpConfig[];
  head: HeadConfig;
  linkDepth: number;
}


/** What the transformer-block builders (g) and the patch-embed/head builders (ends) need from a ViT. */
export function geometriesOf(model: ViTConfig): { g: BlockGeometry; ends: EndsGeometry } {
  const s = shapeOf(model);
  const hardware = model.hardware ? { hardware: model.hardware } : {};
  const g: BlockGeometry = {
    tokens: model.tokens, width: model.width, heads: model.heads, mlpHidden: s.mlpHidden,
    weightBits: model.quant.weightBits, actBits: model.quant.activationBits, ...hardware,
  };
  const ends: EndsGeometry = {
    tokens: model.tokens, width: model.width, patchElements: s.patchElements, numClasses: model.numClasses,
    embedBits: model.quant.embedBits, headBits: model.quant.headBits, ...hardware,
  };
  return { g, ends };
}

/** Build (and validate) a design from a ViT geometry and per-block hardware configs. */
export function buildDesign(model: ViTConfig, cfg: DesignConfig): Design {
  checkViTConfig(model);
  const { g, ends } = geometriesOf(model);
  const blocks: Block[] = [buildPatchEmbedBlock(ends, cfg.patchEmbed)];
  for (let i = 0; i < model.depth; i++) {
    blocks.push(buildAttnBlock(`ATTN${i}`, i, g, cfg.attn[i] ?? cfg.attn[cfg.attn.length - 1]));
    blocks.push(buildMlpBlock(`MLP${i}`, i, g, cfg.mlp[i] ?? cfg.mlp[cfg.mlp.length - 1]));
  }
  blocks.push(buildHeadBlock(ends, cfg.head));
  return validateDesign({ name: cfg.name, model: model.name, ...designGeometry(model), blocks, linkDepth: cfg.linkDepth });
}

/** A model with its own hardware description (a quantized folder) is recorded in its designs: name and geometry. */
export function designGeometry(model: ViTConfig): { geometry?: ModelGeometry } {
  return model.hardware ? { geometry: modelGeometry(model) } : {};
}

/** Build one block alone (the planner varies one block's parallelism and reads back its cycles). */
export function buildBlock(model: ViTConfig, name: string, index: number, cfg: BlockConfig): Block {
  const { g, ends } = geometriesOf(model);
  switch (cfg.kind) {
    case 'attn': return buildAttnBlock(name, index, g, cfg);
    case 'mlp': return buildMlpBlock(name, index, g, cfg);
    case 'patch-embed': return buildPatchEmbedBlock(ends, cfg);
    case 'head': return buildHeadBlock(ends, cfg);
  }
}

/** HG-PIPE's DeiT-tiny configuration: the exact parallelism, FIFO depths and per-block LayerNorm depths. */
export function hgpipeDesignConfig(depth = 12): DesignConfig {
  return {
    name: 'hgpipe-deit-tiny',
    patchEmbed: HGPIPE_PATCH_EMBED,
    attn: Array.from({ length: depth }, (_, i) => ({ ...HGPIPE_ATTN, lnDepth: HGPIPE_LN13_ATTN.includes(i) ? 13 : 14 })),
    mlp: Array.from({ length: depth }, (_, i) => ({ ...HGPIPE_MLP, lnDepth: HGPIPE_LN13_MLP.includes(i) ? 13 : 14 })),
    head: HGPIPE_HEAD,
    linkDepth: 128,
  };
}

export const BUILTIN_DESIGNS = ['hgpipe-deit-tiny'] as const;

/** The built-in design `hgpipe-deit-tiny`. */
export function hgpipeDeitTiny(): Design {
  return buildDesign(MODEL_ZOO['hgpipe-deit-tiny'], hgpipeDesignConfig());
}
