export { simulateChain, simulateNetwork, type ChainResult, type ImageTimes, type ProcessStats, type FifoStats, type SimOptions } from './run.ts';
export { simulateDesign, simulateBlock, structuralKey, type DesignSimResult, type BlockSimResult, type NetworkSimResult, type DesignSimOptions } from './design-sim.ts';
export { findDeadlock, type DeadlockReport, type WaitHop } from './deadlock.ts';
export { elaborate, WARMUP_CYCLES } from './elaborate.ts';
export { sizeFifos, fifoCost, withDepths, type FifoSizeResult, type FifoSizing, type FifoSizeOptions, type FifoCost } from './fifo-size.ts';
export { measureProcess } from './isolate.ts';
