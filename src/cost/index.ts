export * from './resources.ts';
export * from './devices.ts';
export * from './primitives.ts';
export { MODEL as COST_MODEL } from './constants.ts';
export { PROCESS_COST, processCost, streamCost, macUsesDsp, type CostContext, type MemoryUse } from './process-cost.ts';
export * from './estimate.ts';
export { readSynthesisTable, readHlsEstimates, type SynthRow, type HlsRow } from './reference.ts';
export { rebindToUram, romInUram, type BindingOptions, type PlacedMemory, type Rebinding } from './binding.ts';
export { windowStorage, weightRomSummary, type WeightRomSummary } from './sparse.ts';
