export * from './config.ts';
export * from './load.ts';
