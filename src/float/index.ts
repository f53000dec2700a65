/**
 * Float models brought in from training frameworks: the model folder (manifest + canonical safetensors), its float64
 * forward pass, its photo front end, and batches over worker threads.
 */
export * from './manifest.ts';
export { isFloatModelFolder, readFloatModel, writeFloatModel, checkManifest } from './folder.ts';
export { floatRunner, gelu, erf, type FloatRunner, type FloatTrace } from './forward.ts';
export { rgbToInput, imageToInput } from './input.ts';
export { runFloatBatch, runFloatOne, cachedFloatRunner, type FloatResult, type FloatTask } from './session.ts';
