import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { fail, isVitpipeError } from '../diag/index.ts';
import type { RawImage } from './resample.ts';

/**
 * Decode a JPEG/PNG to 8-bit RGB exactly as Pillow's `Image.open(f).convert('RGB')` does (checked byte for byte
 * against Pillow 9.4 on RGB, greyscale, grey+alpha, RGBA, palette, 16-bit RGB, CMYK and EXIF-rotated files):
 * - no EXIF auto-rotation (Pillow does not rotate; sharp only does on request);
 * - embedded ICC profiles ignored (Pillow does not colour-manage on open/convert);
 * - alpha dropped, not composited; greyscale replicated to three channels;
 * - CMYK via Pillow's naive formula, not an ICC transform; 16-bit greyscale saturated at 255 like Pillow's I→RGB.
 */
export async function decodeRgb(file: string): Promise<RawImage> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    fail('IO_ERROR', `cannot read image: ${(e as Error).message}`, file);
  }
  return decodeRgbBytes(bytes, file);
}

/** decodeRgb on a file's bytes already in memory (the explorer's server receives dropped photos); `file` names them. */
export async function decodeRgbBytes(bytes: Buffer, file: string): Promise<RawImage> {
  try {
    const meta = await sharp(bytes).metadata();
    if (meta.space === 'cmyk') return await decodeCmyk(bytes);
    if (meta.channels === 1 && (meta.depth === 'ushort' || meta.space === 'grey16')) return await decodeGrey16(bytes);
    const { data, info } = await sharp(bytes, { ignoreIcc: true })
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) fail('BAD_IMAGE', `decoded to ${info.channels} channels, expected RGB`, file);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
  } catch (e) {
    if (isVitpipeError(e)) throw e;
    fail('BAD_IMAGE', `cannot decode image: ${(e as Error).message}`, file, 'expected a JPEG or PNG file');
  }
}

/** Pillow's cmyk2rgb: nk = 255 − K; channel = clip8(nk − MULDIV255(C, nk)). */
async function decodeCmyk(bytes: Buffer): Promise<RawImage> {
  const { data, info } = await sharp(bytes, { ignoreIcc: true })
    .pipelineColourspace('cmyk')
    .toColourspace('cmyk')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const n = info.width * info.height;
  const step = info.channels; // 4, or 5 with alpha
  const out = new Uint8Array(n * 3);
  for (let i = 0, p = 0, o = 0; i < n; i++, p += step, o += 3) {
    const nk = 255 - data[p + 3];
    for (let c = 0; c < 3; c++) {
      const t = data[p + c] * nk + 128;
      const v = nk - (((t >> 8) + t) >> 8);
      out[o + c] = v < 0 ? 0 : v;
    }
  }
  return { data: out, width: info.width, height: info.height, channels: 3 };
}

/** Pillow opens 16-bit greyscale PNGs as integer images; their conversion to RGB saturates at 255. */
async function decodeGrey16(bytes: Buffer): Promise<RawImage> {
  const { data, info } = await sharp(bytes, { ignoreIcc: true })
    .toColourspace('grey16') // keeps all 16 bits (extractChannel would go through 8-bit b-w)
    .raw({ depth: 'ushort' })
    .toBuffer({ resolveWithObject: true });
  const aligned = data.byteOffset % 2 === 0 ? data : new Uint8Array(data);
  const words = new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.length >> 1);
  const n = info.width * info.height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const v = words[i] > 255 ? 255 : words[i];
    out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = v;
  }
  return { data: out, width: info.width, height: info.height, channels: 3 };
}
