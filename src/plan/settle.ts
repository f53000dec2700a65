import { blockAnalyticInterval, type Block, type Design } from '../ir/index.ts';
import { simulateBlock } from '../sim/index.ts';

/** What settling did to one block structure. */
export interface SettleStep {
  block: string;
  analytic: number;
  simulated: number;
  /** Factor applied to the block's buffering FIFOs (1: none needed). */
  factor: number;
  settled: number | null;
}

/** Multiply the depth of every buffering FIFO (deeper than 2, block ports excluded). */
export function deepen(b: Block, factor: number): Block {
  if (factor === 1) return b;
  const ports = new Set([b.input.stream, b.output.stream]);
  return { ...b, streams: b.streams.map((s) => (s.depth > 2 && !ports.has(s.name) ? { ...s, depth: s.depth * factor } : s)) };
}

/**
 * The analytic interval assumes no stage waits on a full or empty FIFO. Bursty stages (the three-pass softmax, the
 * K/V reshapers, the caches' fill-then-replay) can still make a block slower than its slowest stage when its
 * FIFOs are too shallow. Simulate one block of each structure alone; where it is slower than the analytic
 * interval (or deadlocks), deepen its buffering FIFOs ×2, ×4, ×8 until it is not, and give every block of that
 * structure the same depths. The simulator's peak-occupancy sizing afterwards trims what was not needed.
 */
export function settleFifos(d: Design, opts: { images?: number; onProgress?: (msg: string) => void } = {}): { design: Design; steps: SettleStep[] } {
  const images = opts.images ?? 3;
  const steps: SettleStep[] = [];
  const factors = new Map<Block['kind'], number>();
  // a block only has to keep up with the design's slowest stage, not with its own
  const designInterval = Math.max(...d.blocks.map((b) => blockAnalyticInterval(b).cycles));
  for (const kind of ['patch-embed', 'attn', 'mlp', 'head'] as const) {
    const rep = d.blocks.find((b) => b.kind === kind);
    if (!rep) continue;
    const analytic = blockAnalyticInterval(rep).cycles;
    opts.onProgress?.(`simulating ${rep.name} alone`);
    let r = simulateBlock(rep, images);
    const simulated = r.deadlock ? -1 : r.steadyInterval;
    let factor = 1;
    const slow = (x: typeof r) => x.deadlock !== null || x.steadyInterval > designInterval * 1.002;
    while (slow(r) && factor < 8) {
      opts.onProgress?.(`${rep.name}: ${r.deadlock ? 'deadlock' : `${r.steadyInterval} > ${designInterval} cycles`}, FIFOs ×${factor * 2}`);
      const next = simulateBlock(deepen(rep, factor * 2), images);
      // stop when deeper FIFOs no longer help (the rest is the stage's own pipeline overhead)
      if (!r.deadlock && !next.deadlock && next.steadyInterval >= r.steadyInterval) break;
      factor *= 2;
      r = next;
    }
    factors.set(kind, factor);
    steps.push({ block: rep.name, analytic, simulated, factor, settled: r.deadlock ? null : r.steadyInterval });
  }
  const blocks = d.blocks.map((b) => deepen(b, factors.get(b.kind) ?? 1));
  return { design: { ...d, blocks }, steps };
}
