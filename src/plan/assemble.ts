import { shapeOf, type ViTConfig } from '../model/index.ts';
import {
  buildAttnBlock,
  buildHeadBlock,
  buildMlpBlock,
  buildPatchEmbedBlock,
  validateDesign,
  type AttnConfig,
  type Block,
  type BlockGeometry,
  type Design,
  type EndsGeometry,
  type HeadConfig,
  type MlpConfig,
  type PatchEmbedConfig,
} from '../ir/index.ts';

/**
 * Turning a planner choice into an IR design. The planner picks one configuration per block kind (all transformer
 * layers of a ViT share their shapes); this file builds the blocks with the IR's builders and applies the two
 * adjustments the builders do not make themselves (see `narrowReshaperInputs` and `paddedTokens`).
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

export function blockGeometry(model: ViTConfig): BlockGeometry {
  const s = shapeOf(model);
  return {
    tokens: paddedTokens(model),
    width: model.width,
    heads: model.heads,
    mlpHidden: s.mlpHidden,
    weightBits: model.quant.weightBits,
    actBits: model.quant.activationBits,
  };
}

export function endsGeometry(model: ViTConfig): EndsGeometry {
  const s = shapeOf(model);
  return {
    tokens: paddedTokens(model),
    width: model.width,
    patchElements: s.patchElements,
    numClasses: model.numClasses,
    embedBits: model.quant.embedBits,
    headBits: model.quant.headBits,
  };
}

/**
 * With more than one channel per beat (lnCp > 1) the per-head K/V streams carry TP·lnCp lanes, while the reshaper's
 * serialiser reads TP-lane beats. Insert an unpacking adapter (lnCp → 1 channel per beat) in front of each one.
 */
export function narrowReshaperInputs(block: Block, lnCp: number): Block {
  if (lnCp === 1 || block.kind !== 'attn') return block;
  const streams = [...block.streams];
  const processes = [];
  const startEdges = [...block.startEdges];
  for (const p of block.processes) {
    if (p.kind !== 'reshape-unpack') {
      processes.push(p);
      continue;
    }
    const wide = p.inputs[0];
    const narrow = `${p.name}.narrow_sm`;
    const name = `${p.name.replace(/\.unpack$/, '')}.narrow`;
    streams.push({ name: narrow, lanes: p.tp, bits: p.bits, depth: 2, impl: 'shift-register' });
    processes.push({
      kind: 'adapter' as const,
      name,
      origin: p.origin,
      inputs: [wide],
      outputs: [narrow],
      tt: p.tokens / p.tp,
      tp: p.tp,
      channels: p.headDim,
      cip: lnCp,
      cop: 1,
      bits: p.bits,
      stages: { depth: 4, read: 2, write: 3 },
    });
    processes.push({ ...p, inputs: [narrow] });
    // started by whatever started the serialiser (the head split), and starting it in turn
    for (const e of block.startEdges) if (e.to === p.name) startEdges.push({ from: e.from, to: name, depth: e.depth });
  }
  return { ...block, streams, processes, startEdges };
}

/** Build and validate the design of `model` with one configuration per block kind. */
export function assembleDesign(model: ViTConfig, k: KindConfigs, name: string): Design {
  const g = blockGeometry(model);
  const e = endsGeometry(model);
  const blocks: Block[] = [buildPatchEmbedBlock(e, k.patchEmbed)];
  for (let i = 0; i < model.depth; i++) {
    blocks.push(narrowReshaperInputs(buildAttnBlock(`ATTN${i}`, i, g, k.attn), k.attn.lnCp));
    blocks.push(buildMlpBlock(`MLP${i}`, i, g, k.mlp));
  }
  blocks.push(buildHeadBlock(e, k.head));
  return validateDesign({ name, model: model.name, blocks, linkDepth: k.linkDepth });
}

/** One block of a kind, built alone (the planner's inner loop). */
export function assembleBlock(model: ViTConfig, k: KindConfigs, kind: Block['kind']): Block {
  const g = blockGeometry(model);
  const e = endsGeometry(model);
  switch (kind) {
    case 'patch-embed':
      return buildPatchEmbedBlock(e, k.patchEmbed);
    case 'attn':
      return narrowReshaperInputs(buildAttnBlock('ATTN0', 0, g, k.attn), k.attn.lnCp);
    case 'mlp':
      return buildMlpBlock('MLP0', 0, g, k.mlp);
    case 'head':
      return buildHeadBlock(e, k.head);
  }
}
