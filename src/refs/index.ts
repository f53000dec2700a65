export * from './format.ts';
export { describeShape } from './parse.ts';
export * from './source.ts';
export * from './load.ts';
export * from './weights.ts';
export * from './hardware-types.ts';
export * from './write.ts';
