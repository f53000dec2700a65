export * from './blocks.ts';
export * from './layout.ts';
export * from './network.ts';
