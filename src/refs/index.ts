export * from './format.ts';
export * from './weights.ts';
export * from './hardware-types.ts';
export * from './write.ts';
