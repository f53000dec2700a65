import { fail } from '../diag/index.ts';
import { BICUBIC, BILINEAR, centerCropOffset, decodeRgb, resizePillow, resizedSize, type RawImage } from '../image/index.ts';
import type { FloatManifest } from './manifest.ts';

type InputPipeline = FloatManifest['input'];

/**
 * A decoded RGB photo → the model's input, C × crop × crop in float64: the shorter side resized to `resize` with
 * Pillow's filter (torchvision's Resize on a PIL image), centre-cropped, then (v/255 − mean_c)/std_c.
 */
export function rgbToInput(img: RawImage, input: InputPipeline, where?: string): Float64Array {
  const { resize, crop, interpolation, mean, std } = input;
  let pixels: RawImage;
  if (interpolation === 'none') {
    if (img.width !== crop || img.height !== crop)
      fail('BAD_IMAGE', `image is ${img.width}×${img.height}; this model takes ${crop}×${crop} with no resizing (input.interpolation 'none')`, where);
    pixels = img;
  } else {
    const { width, height } = resizedSize(img.width, img.height, resize);
    const win = { x0: centerCropOffset(width, crop), y0: centerCropOffset(height, crop), w: crop, h: crop };
    pixels = resizePillow(img, width, height, interpolation === 'bicubic' ? BICUBIC : BILINEAR, win);
  }
  const plane = crop * crop;
  const out = new Float64Array(3 * plane);
  const { data } = pixels;
  for (let c = 0; c < 3; c++) {
    const m = mean[c];
    const s = std[c];
    for (let p = 0; p < plane; p++) out[c * plane + p] = (data[p * 3 + c] / 255 - m) / s;
  }
  return out;
}

/** A JPEG/PNG file → the model's input tensor. */
export async function imageToInput(file: string, input: InputPipeline): Promise<Float64Array> {
  return rgbToInput(await decodeRgb(file), input, file);
}
