export * from './pool.ts';
export * from './bundle.ts';
