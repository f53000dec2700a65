export * from './config.ts';
export * from './tokens.ts';
export * from './weights.ts';
export * from './run.ts';
export * from './accuracy.ts';
export * from './selector.ts';
export * from './plan-pruned.ts';
export * from './pipeline.ts';
