/**
 * Image front end: photo → HG-PIPE's int8 input patch matrix (shared PREPROCESS.md, Pillow-exact BICUBIC resize),
 * image listing, and the ImageNet class labels.
 */
export { decodeRgb, decodeRgbBytes } from './decode.ts';
export { resizeBicubic, resizePillow, axisCoeffs, BICUBIC, BILINEAR, type ResampleFilter, type RawImage, type Window, type AxisCoeffs } from './resample.ts';
export {
  imageToPatches,
  rgbToPatches,
  resizeAndCrop,
  cropToPatches,
  quantTable,
  patchRows,
  resizedSize,
  centerCropOffset,
  roundHalfEven,
  IMAGENET_MEAN,
  IMAGENET_STD,
  INPUT_RANGE,
  CROP_PCT,
} from './preprocess.ts';
export { listImages } from './list.ts';
export { IMAGENET_CLASSES, classOfFile, labelOfClass, type ImageNetClass } from './labels.ts';
