export * from './blocks.ts';
export * from './layout.ts';
export * from './network.ts';
export * from './session.ts';
export * from './pool.ts';
export * from './audit.ts';
export * from './quantized.ts';
export * from './folder-model.ts';
