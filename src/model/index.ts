export * from './config.ts';
export * from './load.ts';
export * from './quantized.ts';
export * from './geometry.ts';
export * from './hardware.ts';
