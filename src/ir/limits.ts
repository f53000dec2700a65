/**
 * Upper bounds of a design's sizes (docs/DESIGN-FORMAT.md, README "Limits"): far above anything buildable, and below
 * what would exhaust the simulator's memory or make a run effectively endless. validateDesign checks them.
 */
export const DESIGN_LIMITS = {
  /** Depth of one FIFO in beats (block streams, the links between blocks, start edges): 4 Mi. */
  fifoDepth: 2 ** 22,
  /** Cycles a process's timing program takes per image (HG-PIPE's slowest: 57,625); the simulator keeps a mask per loop cycle. */
  processCycles: 2 ** 26,
  /** A process's pipeline depth and its read and write stages, in cycles. */
  stageDepth: 2 ** 16,
  /**
   * Beats all FIFOs of the design hold together, each rounded up to a power of two as the simulator's rings are:
   * 64 Mi (256 MiB of simulator state). HG-PIPE's planned designs hold under 1 Mi.
   */
  totalFifoBeats: 2 ** 26,
} as const;

/** The simulator's ring size for a FIFO of this depth (the next power of two). */
export function ringSize(depth: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, depth)));
}
