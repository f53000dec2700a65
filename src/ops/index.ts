export * from './arith.ts';
export * from './requant.ts';
export * from './layernorm.ts';
export * from './softmax.ts';
export * from './matmul.ts';
export * from './residual.ts';
export * from './simd-matmul.ts';
