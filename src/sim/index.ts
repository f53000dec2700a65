export { simulateChain, simulateNetwork, estimateCycles, type ChainResult, type ImageTimes, type ProcessStats, type FifoStats, type SimOptions } from './run.ts';
export { simulateDesign, simulateDesignConcurrently, simulateBlocksAlone, simulateBlock, type DesignSimResult, type BlockSimResult, type NetworkSimResult, type DesignSimOptions } from './design-sim.ts';
export { findDeadlock, type DeadlockReport, type WaitHop } from './deadlock.ts';
export { elaborate, WARMUP_CYCLES } from './elaborate.ts';
export { sizeFifos, fifoMemory, withDepths, type FifoSizeResult, type FifoSizing, type FifoSizeOptions, type FifoMemory } from './fifo-size.ts';
export { measureProcess } from './isolate.ts';
