export * from './config.ts';
export * from './match.ts';
export * from './merger.ts';
export * from './unit.ts';
