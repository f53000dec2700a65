import { fail } from '../diag/index.ts';
import { MODEL_ZOO, shapeOf, type ViTConfig } from '../model/index.ts';
import { decodeRgb } from './decode.ts';
import { resizeBicubic, type RawImage } from './resample.ts';

/**
 * Photo → HG-PIPE input patches (shared PREPROCESS.md): DeiT's evaluation transform (resize the shorter side to
 * imageSize/0.875 with Pillow BICUBIC, centre-crop imageSize), ImageNet normalisation in float32, one int8 scale for
 * all channels, then 16×16 patches flattened (channel, kh, kw) in HG-PIPE's row order.
 */

export const IMAGENET_MEAN: readonly number[] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly number[] = [0.229, 0.224, 0.225];
/** Largest normalised value (blue at 255) mapped to the int8 maximum. */
export const INPUT_RANGE = 2.64;
/** DeiT evaluation: resize to imageSize / crop_pct before the centre crop (224 → 256). */
export const CROP_PCT = 0.875;

/** Python's round(): nearest integer, ties to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // ties toward +∞
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** torchvision Resize(int): shorter side → `short`, longer side → int(short · long / shorter). */
export function resizedSize(width: number, height: number, short: number): { width: number; height: number } {
  return width <= height
    ? { width: short, height: Math.floor((short * height) / width) }
    : { width: Math.floor((short * width) / height), height: short };
}

/** torchvision CenterCrop offset: int(round((size − crop) / 2.0)). */
export function centerCropOffset(size: number, crop: number): number {
  return roundHalfEven((size - crop) / 2);
}

const f32 = Math.fround;

/**
 * The int8 value of every (channel, pixel byte) pair: v = (p/255 − mean)/std step by step in float32 as
 * torchvision's ToTensor + Normalize compute it, then q = clamp(round_half_even(v / s), qmin, qmax) with the float32
 * scale, as numpy/torch divide a float32 tensor by a Python float.
 */
export function quantTable(bits: number, channels = 3): Int32Array {
  const qmax = 2 ** (bits - 1) - 1;
  const scale = f32(INPUT_RANGE / qmax);
  const table = new Int32Array(channels * 256);
  for (let c = 0; c < channels; c++) {
    const mean = f32(IMAGENET_MEAN[c]);
    const std = f32(IMAGENET_STD[c]);
    for (let p = 0; p < 256; p++) {
      const v = f32(f32(f32(p / 255) - mean) / std);
      const q = roundHalfEven(f32(v / scale));
      table[c * 256 + p] = q < -qmax - 1 ? -qmax - 1 : q > qmax ? qmax : q;
    }
  }
  return table;
}

const tableCache = new Map<number, Int32Array>();
function cachedTable(bits: number): Int32Array {
  let t = tableCache.get(bits);
  if (!t) tableCache.set(bits, (t = quantTable(bits)));
  return t;
}

/**
 * Token row of each patch. DeiT (tokens = patches + 1): row 0 is the CLS placeholder (left zero), row r = patch r−1.
 * HG-PIPE (tokens ≤ patches): patch p goes to row (p + 1) mod tokens, so row 0 holds patch tokens−1 (195, the
 * bottom-right one) and later patches are dropped (PREPROCESS.md §5).
 */
export function patchRows(patches: number, tokens: number): Int32Array {
  const rows = new Int32Array(patches).fill(-1);
  const kept = Math.min(patches, tokens);
  for (let p = 0; p < kept; p++) rows[p] = (p + 1) % tokens;
  return rows;
}

function checkFrontEnd(cfg: ViTConfig): void {
  if (cfg.inChannels !== 3) fail('BAD_MODEL', `image input needs 3 channels, model has ${cfg.inChannels}`, cfg.name);
  if (cfg.tokens > shapeOf(cfg).patches + 1)
    fail('BAD_MODEL', `tokens ${cfg.tokens} exceed patches + 1 = ${shapeOf(cfg).patches + 1}`, cfg.name);
}

/** Cut an imageSize×imageSize RGB crop into the tokens × (3·P·P) int8 patch matrix (row-major). */
export function cropToPatches(crop: RawImage, cfg: ViTConfig): Int32Array {
  checkFrontEnd(cfg);
  const { imageSize: size, patchSize: ps, tokens } = cfg;
  if (crop.width !== size || crop.height !== size || crop.channels !== 3)
    fail('BAD_IMAGE', `crop is ${crop.width}×${crop.height}×${crop.channels}, expected ${size}×${size}×3`);
  const { patches, patchElements: pe } = shapeOf(cfg);
  const grid = size / ps;
  const table = cachedTable(cfg.quant.embedBits);
  const rows = patchRows(patches, tokens);
  const out = new Int32Array(tokens * pe);
  const src = crop.data;
  for (let p = 0; p < patches; p++) {
    const row = rows[p];
    if (row < 0) continue;
    const py = Math.floor(p / grid);
    const px = p % grid;
    const base = row * pe;
    for (let c = 0; c < 3; c++) {
      const t0 = c * 256;
      for (let kh = 0; kh < ps; kh++) {
        let s = ((py * ps + kh) * size + px * ps) * 3 + c;
        let o = base + (c * ps + kh) * ps;
        for (let kw = 0; kw < ps; kw++, s += 3) out[o++] = table[t0 + src[s]];
      }
    }
  }
  return out;
}

/** Resize (shorter side → imageSize/0.875, Pillow BICUBIC) and centre-crop; only the crop window is computed. */
export function resizeAndCrop(img: RawImage, imageSize: number): RawImage {
  const short = Math.floor(imageSize / CROP_PCT);
  const { width, height } = resizedSize(img.width, img.height, short);
  const x0 = centerCropOffset(width, imageSize);
  const y0 = centerCropOffset(height, imageSize);
  return resizeBicubic(img, width, height, { x0, y0, w: imageSize, h: imageSize });
}

/** Decoded RGB → patch matrix. */
export function rgbToPatches(img: RawImage, cfg: ViTConfig = MODEL_ZOO['hgpipe-deit-tiny']): Int32Array {
  checkFrontEnd(cfg);
  return cropToPatches(resizeAndCrop(img, cfg.imageSize), cfg);
}

/** A JPEG/PNG file → tokens × (3·P·P) int8 values, row-major (HG-PIPE's `patch_embed_input` layout). */
export async function imageToPatches(file: string, cfg: ViTConfig = MODEL_ZOO['hgpipe-deit-tiny']): Promise<Int32Array> {
  checkFrontEnd(cfg);
  return rgbToPatches(await decodeRgb(file), cfg);
}
