import { fail } from '../diag/index.ts';
import type { Tensor } from '../checkpoint/index.ts';

/**
 * The model families the importer recognises from tensor names, and where each canonical tensor of a block
 * (manifest.ts) comes from in that family's state dict.
 */
export type Family = 'torch-encoder' | 'timm-vit';

/** A family's defaults for what names and shapes cannot tell. */
export interface FamilyDefaults {
  norm: 'pre' | 'post';
  activation: 'relu' | 'gelu';
  eps: number;
  /** Photo resize before the centre crop, as a multiple of the image size (timm's crop_pct 0.875 → 1/0.875). */
  resizeRatio: number;
}

export const FAMILY_DEFAULTS: Record<Family, FamilyDefaults> = {
  // PyTorch's nn.TransformerEncoderLayer defaults.
  'torch-encoder': { norm: 'post', activation: 'relu', eps: 1e-5, resizeRatio: 1 },
  // timm's VisionTransformer (ViT, DeiT) defaults.
  'timm-vit': { norm: 'pre', activation: 'gelu', eps: 1e-6, resizeRatio: 1 / 0.875 },
};

/** The layer-stack pattern of each family: group 1 = the encoder's prefix, group 2 = the layer index. */
const LAYER_PATTERN: Record<Family, RegExp> = {
  'torch-encoder': /^(.*?)layers\.(\d+)\.self_attn\.in_proj_weight$/,
  'timm-vit': /^(.*?)blocks\.(\d+)\.attn\.qkv\.weight$/,
};

/** Canonical block tensor (after `blocks.{i}.`) ← the family's name (after its layer prefix), weight and bias each. */
const BLOCK_SOURCES: Record<Family, [canonical: string, source: string][]> = {
  'torch-encoder': [
    ['norm1', 'norm1'],
    ['attn.qkv', 'self_attn.in_proj_'], // in_proj_weight / in_proj_bias
    ['attn.proj', 'self_attn.out_proj'],
    ['norm2', 'norm2'],
    ['mlp.fc1', 'linear1'],
    ['mlp.fc2', 'linear2'],
  ],
  'timm-vit': [
    ['norm1', 'norm1'],
    ['attn.qkv', 'attn.qkv'],
    ['attn.proj', 'attn.proj'],
    ['norm2', 'norm2'],
    ['mlp.fc1', 'mlp.fc1'],
    ['mlp.fc2', 'mlp.fc2'],
  ],
};

/** Block tensors some checkpoints have that change the function and that the importer cannot map. */
const UNSUPPORTED_IN_BLOCK: [RegExp, string][] = [
  [/attn\.(q|k)_norm\./, 'query/key normalisation (qk_norm)'],
  [/attn\.(q|v)_bias$/, 'separate q/v biases (BEiT style)'],
  [/attn\.relative_position/, 'relative position bias'],
  [/norm[12]\.running_mean$/, 'BatchNorm in a transformer block'],
];

export interface LayerStack {
  family: Family;
  /** Name prefix of layer i's tensors, e.g. `transformer.layers.3.` or `blocks.3.`. */
  layerPrefix: (i: number) => string;
  depth: number;
}

/** Find the encoder's layer stack, of the family asked for or (auto) the one whose names are present. */
export function findLayers(tensors: ReadonlyMap<string, Tensor>, arch: Family | 'auto', file: string): LayerStack {
  const found: LayerStack[] = [];
  for (const family of Object.keys(LAYER_PATTERN) as Family[]) {
    if (arch !== 'auto' && arch !== family) continue;
    const byPrefix = new Map<string, Set<number>>();
    for (const name of tensors.keys()) {
      const m = LAYER_PATTERN[family].exec(name);
      if (!m) continue;
      const set = byPrefix.get(m[1]) ?? new Set<number>();
      set.add(Number(m[2]));
      byPrefix.set(m[1], set);
    }
    if (byPrefix.size > 1)
      fail('BAD_CHECKPOINT', `several ${family} layer stacks (${[...byPrefix.keys()].map((p) => `'${p}layers…'`).join(', ')}); keep one with --rename`, file);
    for (const [prefix, indices] of byPrefix) {
      const depth = indices.size;
      for (let i = 0; i < depth; i++)
        if (!indices.has(i)) fail('BAD_CHECKPOINT', `${family} layers are not numbered 0…${depth - 1}: layer ${i} is missing`, file);
      const word = family === 'torch-encoder' ? 'layers' : 'blocks';
      found.push({ family, depth, layerPrefix: (i) => `${prefix}${word}.${i}.` });
    }
  }
  if (found.length === 0) {
    const sample = [...tensors.keys()].slice(0, 8).join(', ');
    const what = arch === 'auto' ? 'no nn.TransformerEncoder layers (…layers.N.self_attn.in_proj_weight) or timm blocks (blocks.N.attn.qkv.weight)' : `no ${arch} layers`;
    fail('BAD_CHECKPOINT', `${what} among its ${tensors.size} tensors (first: ${sample})`, file, 'map other names with --rename old=new');
  }
  if (found.length > 1) fail('BAD_CHECKPOINT', 'holds both nn.TransformerEncoder layers and timm blocks; choose one with --arch', file);
  return found[0];
}

/** Source names of one block's canonical tensors: [canonical name, source name, optional (bias may be absent)]. */
export function blockSources(stack: LayerStack, i: number): { canonical: string; source: string; optional: boolean }[] {
  const p = stack.layerPrefix(i);
  const out: { canonical: string; source: string; optional: boolean }[] = [];
  for (const [canonical, source] of BLOCK_SOURCES[stack.family]) {
    const joined = source.endsWith('_') ? (suffix: string) => `${p}${source}${suffix}` : (suffix: string) => `${p}${source}.${suffix}`;
    out.push({ canonical: `blocks.${i}.${canonical}.weight`, source: joined('weight'), optional: false });
    // Linear layers may be built with bias=False; a missing bias is zero.
    out.push({ canonical: `blocks.${i}.${canonical}.bias`, source: joined('bias'), optional: !canonical.startsWith('norm') });
  }
  return out;
}

/** LayerScale factors of a timm block (ls1.gamma scales the attention branch, ls2.gamma the MLP branch). */
export function layerScaleNames(stack: LayerStack, i: number): { attn: string; mlp: string } {
  const p = stack.layerPrefix(i);
  return { attn: `${p}ls1.gamma`, mlp: `${p}ls2.gamma` };
}

/** Refuse block tensors that change the function in ways the canonical block cannot express. */
export function checkBlockExtras(tensors: ReadonlyMap<string, Tensor>, stack: LayerStack, file: string): void {
  for (let i = 0; i < stack.depth; i++) {
    const p = stack.layerPrefix(i);
    for (const name of tensors.keys()) {
      if (!name.startsWith(p)) continue;
      for (const [pattern, what] of UNSUPPORTED_IN_BLOCK)
        if (pattern.test(name.slice(p.length))) fail('BAD_CHECKPOINT', `'${name}': ${what} is not supported`, file);
    }
  }
}

/** Common names of the tensors around the encoder, most specific first. */
export const AROUND = {
  patchEmbed: ['patch_embed.proj', 'patch_embed', 'patch_embedding', 'to_patch_embedding.conv', 'conv_proj'],
  clsToken: ['cls_token', 'class_token', 'cls'],
  posEmbed: ['pos_embed', 'pos_embedding', 'position_embedding', 'positional_embedding', 'encoder.pos_embedding'],
  headNorm: ['norm', 'mlp_head.0', 'head_norm', 'final_norm', 'ln_f', 'encoder.ln', 'encoder.norm', 'transformer.norm'],
  head: ['head', 'mlp_head.1', 'mlp_head', 'classifier', 'heads.head', 'fc'],
} as const;

/** Tensors that mean a model this importer would run wrongly. */
export const REFUSED_AROUND: [name: string, why: string][] = [
  ['dist_token', 'a DeiT with a distillation token (dist_token) is not supported; export the model without it'],
  ['head_dist.weight', 'a DeiT with a distillation head (head_dist) is not supported; export the model without it'],
  ['fc_norm.weight', 'average-pooled ViTs (fc_norm) are not supported: vitpipe classifies from the CLS token'],
  ['reg_token', 'register tokens (reg_token) are not supported'],
];
