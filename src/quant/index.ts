/**
 * Post-training quantization of float model folders to HG-PIPE's integer arithmetic (tables, shifts, narrow codes),
 * written as quantized folders in the reference format with their hardware widths. docs/QUANTIZATION.md.
 */
export { quantizeFolder, writeQuantizedFolder, checkBits, type QuantizeOptions, type QuantizedModel } from './quantize.ts';
export { buildIntegerModel, parseBits } from './build.ts';
export { calibrate } from './calibrate.ts';
