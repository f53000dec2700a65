import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { floatValues, loadCheckpoint, type Tensor } from '../checkpoint/index.ts';
import { fail } from '../diag/index.ts';
import { FLOAT_MODEL_FORMAT, checkManifest, expectedTensors, type FloatManifest, type FloatModel } from '../float/index.ts';
import { IMAGENET_MEAN, IMAGENET_STD } from '../image/index.ts';
import {
  AROUND,
  FAMILY_DEFAULTS,
  REFUSED_AROUND,
  blockSources,
  checkBlockExtras,
  findLayers,
  layerScaleNames,
  type Family,
} from './families.ts';

/** What `vitpipe import` is told; everything optional has the family's or PyTorch's default. */
export interface ImportOptions {
  arch?: Family | 'auto';
  name?: string;
  heads?: number;
  /** Pre-norm (LayerNorm before each sub-block), as nn.TransformerEncoderLayer(norm_first=True). */
  normFirst?: boolean;
  activation?: 'relu' | 'gelu';
  eps?: number;
  imageSize?: number;
  resize?: number;
  crop?: number;
  interpolation?: 'bicubic' | 'bilinear' | 'none';
  mean?: [number, number, number];
  std?: [number, number, number];
  classes?: string[];
  /** Tensor-name prefixes to rename before recognition: exact name, or a prefix followed by '.'. */
  rename?: [from: string, to: string][];
}

export interface ImportResult {
  model: FloatModel;
  /** Checkpoint tensors that are not part of the model (e.g. optimizer leftovers), by their names in the file. */
  ignored: string[];
  format: 'torch-zip' | 'safetensors';
}

/** Read a checkpoint and turn it into a float model: recognise its family, map its tensors, derive its geometry. */
export function importCheckpoint(file: string, opts: ImportOptions = {}): ImportResult {
  const { format, tensors: raw } = loadCheckpoint(file);
  const tensors = renamed(raw, opts.rename ?? [], file);
  for (const [name, why] of REFUSED_AROUND) if (tensors.has(name)) fail('BAD_MODEL', why, file);
  const stack = findLayers(tensors, opts.arch ?? 'auto', file);
  checkBlockExtras(tensors, stack, file);
  const used = new Set<string>();
  const take = (name: string): Tensor => {
    const t = tensors.get(name);
    if (!t) fail('BAD_CHECKPOINT', `tensor '${name}' is missing`, file);
    used.add(name);
    return t;
  };
  const find = (candidates: readonly string[], what: string, suffix = '.weight'): string => {
    for (const c of candidates) if (tensors.has(c + suffix)) return c;
    fail('BAD_CHECKPOINT', `no ${what} found (looked for ${candidates.map((c) => c + suffix).join(', ')})`, file, 'name it with --rename <name in the file>=<one of those>');
  };

  // Geometry from shapes.
  const embedName = find(AROUND.patchEmbed, 'patch embedding (a Conv2d weight [D, C, P, P])');
  const embedW = take(`${embedName}.weight`);
  if (embedW.shape.length !== 4 || embedW.shape[2] !== embedW.shape[3])
    fail('BAD_CHECKPOINT', `'${embedName}.weight' has shape [${embedW.shape.join(', ')}], expected a square Conv2d kernel [D, C, P, P]`, file);
  const [D, C, P] = embedW.shape;
  const posName = find(AROUND.posEmbed, 'position embedding', '');
  const posT = take(posName);
  const T = posT.shape.length >= 2 ? posT.shape[posT.shape.length - 2] : 0;
  if (posT.shape[posT.shape.length - 1] !== D || posT.shape.slice(0, -2).some((n) => n !== 1))
    fail('BAD_CHECKPOINT', `'${posName}' has shape [${posT.shape.join(', ')}], expected [1, tokens, ${D}]`, file);
  const grid = Math.round(Math.sqrt(T - 1));
  if (grid * grid !== T - 1)
    fail('BAD_CHECKPOINT', `'${posName}' has ${T} positions; expected 1 (CLS) + a square grid of patches`, file, 'position embeddings without a CLS slot are not supported');
  const imageSize = opts.imageSize ?? grid * P;
  if (imageSize !== grid * P)
    fail('BAD_ARGUMENT', `--image-size ${imageSize} does not match the checkpoint: ${T - 1} patches of ${P}×${P} make ${grid * P}×${grid * P}`, '--image-size');
  const family = stack.family;
  const defaults = FAMILY_DEFAULTS[family];
  const missing: string[] = [];
  if (opts.heads === undefined) missing.push('--heads N (attention heads: checkpoints do not record them)');
  if (missing.length > 0) fail('BAD_ARGUMENT', `cannot tell from the checkpoint; give: ${missing.join('; ')}`, file);
  const heads = opts.heads!;
  if (D % heads !== 0) fail('BAD_ARGUMENT', `--heads ${heads} does not divide the width ${D}`, '--heads');

  const out = new Map<string, Float32Array>();
  const put = (canonical: string, t: Tensor, shape: number[], source: string): void => {
    const n = shape.reduce((a, b) => a * b, 1);
    const have = t.shape.reduce((a, b) => a * b, 1);
    if (have !== n || t.shape.filter((s) => s !== 1).join() !== shape.filter((s) => s !== 1).join())
      fail('BAD_CHECKPOINT', `'${source}' has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`, file);
    out.set(canonical, floatValues(t));
  };
  put('patch_embed.weight', embedW, [D, C, P, P], `${embedName}.weight`);
  put('patch_embed.bias', optionalBias(tensors, `${embedName}.bias`, D, used), [D], `${embedName}.bias`);
  const clsName = find(AROUND.clsToken, 'class token', '');
  put('cls_token', take(clsName), [D], clsName);
  put('pos_embed', posT, [T, D], posName);

  // The encoder's layers.
  let mlpHidden = 0;
  for (let i = 0; i < stack.depth; i++) {
    const sources = blockSources(stack, i);
    const fc1 = sources.find((s) => s.canonical.endsWith('mlp.fc1.weight'))!;
    mlpHidden = take(fc1.source).shape[0];
    const shapes = blockShapes(D, mlpHidden);
    for (const s of sources) {
      const shape = shapes[s.canonical.slice(`blocks.${i}.`.length)];
      const t = s.optional ? optionalBias(tensors, s.source, shape[0], used) : take(s.source);
      put(s.canonical, t, shape, s.source);
    }
    foldLayerScale(tensors, out, layerScaleNames(stack, i), i, D, used, file);
  }

  // Head: optional LayerNorm on the CLS row, then the classifier.
  const headName = find(AROUND.head, 'classification head (a Linear weight [classes, D])');
  const headW = take(`${headName}.weight`);
  if (headW.shape.length !== 2 || headW.shape[1] !== D)
    fail('BAD_CHECKPOINT', `'${headName}.weight' has shape [${headW.shape.join(', ')}], expected [classes, ${D}]`, file);
  const K = headW.shape[0];
  put('head.weight', headW, [K, D], `${headName}.weight`);
  put('head.bias', optionalBias(tensors, `${headName}.bias`, K, used), [K], `${headName}.bias`);
  const headNorm = AROUND.headNorm.find((n) => n !== headName && tensors.get(`${n}.weight`)?.shape.length === 1);
  if (headNorm) {
    put('head_norm.weight', take(`${headNorm}.weight`), [D], `${headNorm}.weight`);
    put('head_norm.bias', take(`${headNorm}.bias`), [D], `${headNorm}.bias`);
  }

  const eps = opts.eps ?? defaults.eps;
  const crop = opts.crop ?? imageSize;
  const interpolation = opts.interpolation ?? 'bicubic';
  const classes = opts.classes ?? [];
  const manifest: FloatManifest = {
    format: FLOAT_MODEL_FORMAT,
    version: 1,
    name: opts.name ?? basename(file, extname(file)),
    source: { file: basename(file), family, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') },
    geometry: { imageSize, patchSize: P, inChannels: C, width: D, depth: stack.depth, heads, mlpHidden, numClasses: K, tokens: T },
    block: {
      norm: opts.normFirst === undefined ? defaults.norm : opts.normFirst ? 'pre' : 'post',
      activation: opts.activation ?? defaults.activation,
      eps,
    },
    head: { norm: headNorm !== undefined, eps },
    input: {
      resize: opts.resize ?? (interpolation === 'none' ? crop : Math.floor(crop * defaults.resizeRatio)),
      crop,
      interpolation,
      mean: opts.mean ?? (IMAGENET_MEAN as [number, number, number]),
      std: opts.std ?? (IMAGENET_STD as [number, number, number]),
    },
    classes,
  };
  if (classes.length !== 0 && classes.length !== K)
    fail('BAD_ARGUMENT', `${classes.length} class names given, the head has ${K} classes`, '--classes');
  checkManifest(manifest, file);
  for (const { name } of expectedTensors(manifest)) if (!out.has(name)) fail('BAD_CHECKPOINT', `tensor for '${name}' not found`, file);
  const ignored = [...tensors.keys()].filter((n) => !used.has(n));
  return { model: { manifest, tensors: out }, ignored, format };
}

function blockShapes(D: number, H: number): Record<string, number[]> {
  return {
    'norm1.weight': [D],
    'norm1.bias': [D],
    'attn.qkv.weight': [3 * D, D],
    'attn.qkv.bias': [3 * D],
    'attn.proj.weight': [D, D],
    'attn.proj.bias': [D],
    'norm2.weight': [D],
    'norm2.bias': [D],
    'mlp.fc1.weight': [H, D],
    'mlp.fc1.bias': [H],
    'mlp.fc2.weight': [D, H],
    'mlp.fc2.bias': [D],
  };
}

/** A Linear's bias, or zeros when the layer was built with bias=False. */
function optionalBias(tensors: ReadonlyMap<string, Tensor>, name: string, n: number, used: Set<string>): Tensor {
  const t = tensors.get(name);
  if (t) {
    used.add(name);
    return t;
  }
  return { dtype: 'F32', shape: [n], bytes: new Uint8Array(4 * n) };
}

/** timm LayerScale: branch · γ equals scaling the branch's last Linear (rows of its weight and its bias) by γ. */
function foldLayerScale(
  tensors: ReadonlyMap<string, Tensor>,
  out: Map<string, Float32Array>,
  names: { attn: string; mlp: string },
  i: number,
  D: number,
  used: Set<string>,
  file: string,
): void {
  for (const [gammaName, linear] of [
    [names.attn, `blocks.${i}.attn.proj`],
    [names.mlp, `blocks.${i}.mlp.fc2`],
  ] as const) {
    const t = tensors.get(gammaName);
    if (!t) continue;
    if (t.shape.length !== 1 || t.shape[0] !== D) fail('BAD_CHECKPOINT', `'${gammaName}' has shape [${t.shape.join(', ')}], expected [${D}]`, file);
    used.add(gammaName);
    const gamma = floatValues(t);
    const w = out.get(`${linear}.weight`)!;
    const b = out.get(`${linear}.bias`)!;
    const inDim = w.length / D;
    for (let o = 0; o < D; o++) {
      for (let k = 0; k < inDim; k++) w[o * inDim + k] = Math.fround(w[o * inDim + k] * gamma[o]);
      b[o] = Math.fround(b[o] * gamma[o]);
    }
  }
}

/**
 * Apply `--rename from=to` (exact names, or prefixes ending at a '.'), and drop DataParallel's `module.` prefix.
 * Renaming onto a name that exists is an error rather than a silent overwrite.
 */
function renamed(tensors: ReadonlyMap<string, Tensor>, rules: [string, string][], file: string): Map<string, Tensor> {
  const strip = [...tensors.keys()].every((n) => n.startsWith('module.'));
  const out = new Map<string, Tensor>();
  const hits = new Array<number>(rules.length).fill(0);
  for (const [original, t] of tensors) {
    let name = strip ? original.slice('module.'.length) : original;
    rules.forEach(([from, to], r) => {
      if (name === from || name.startsWith(from + '.')) {
        name = to + name.slice(from.length);
        hits[r]++;
      }
    });
    if (out.has(name)) fail('BAD_ARGUMENT', `renaming makes two tensors called '${name}'`, '--rename');
    out.set(name, t);
  }
  rules.forEach(([from], r) => {
    if (hits[r] === 0) fail('BAD_ARGUMENT', `--rename ${from}=…: no tensor is called '${from}' or starts with '${from}.'`, file);
  });
  return out;
}
