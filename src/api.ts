/**
 * vitpipe's typed API (the package entry point): each layer's public functions and types, in the order of the
 * architecture — model description → integer operators and engine → dataflow IR → simulator / cost model /
 * planner → code generation → compression → reports. The CLI (cli/) is a thin layer over exactly these.
 */
export * from './diag/index.ts';
export * from './model/index.ts';
export * from './refs/index.ts';
export * from './ops/index.ts';
export * from './engine/index.ts';
export * from './image/index.ts';
export * from './ir/index.ts';
export * from './sim/index.ts';
export * from './cost/index.ts';
export * from './plan/index.ts';
export * from './codegen/index.ts';
export * from './prune/index.ts';
