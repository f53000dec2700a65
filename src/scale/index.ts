export * from './connection.ts';
export * from './schema.ts';
export * from './hash.ts';
export * from './store.ts';
export * from './coordinator.ts';
export * from './worker.ts';
export * from './runs.ts';
