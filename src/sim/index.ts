export { simulateChain, simulateNetwork, estimateCycles, type ChainResult, type ImageTimes, type ProcessStats, type FifoStats, type SimOptions } from './run.ts';
export { simulateDesign, simulateDesignConcurrently, assembleDesignSim, blockImagesOf, simulateBlocksAlone, simulateBlock, type DesignSimResult, type BlockSimResult, type NetworkSimResult, type DesignSimOptions } from './design-sim.ts';
export { findDeadlock, type DeadlockReport, type WaitHop } from './deadlock.ts';
export { elaborate, WARMUP_CYCLES } from './elaborate.ts';
export { sizeFifos, sizeFifosConcurrently, sizeKind, aloneFigures, fifoMemory, withDepths, type FifoSizeResult, type FifoSizing, type FifoSizeOptions, type FifoMemory, type KindSizing } from './fifo-size.ts';
export { measureProcess } from './isolate.ts';
