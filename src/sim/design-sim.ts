import { type Block, type Design, blockAnalyticInterval, structuralKey } from '../ir/index.ts';
import { type ChainResult, type ImageTimes, simulateChain } from './run.ts';

export interface BlockSimResult {
  name: string;
  kind: Block['kind'];
  /** Last-output distance between the last two simulated images (block alone). */
  steadyInterval: number;
  /** Cycles from image 0's first input beat to its last output beat (block alone). */
  firstImageLatency: number;
  firstOutput: number;
  /** The slowest process's analytic cycles per image (estimate), and that process. */
  analyticInterval: number;
  analyticProcess: string;
  bottleneck: string[];
  inputIntervals: number[];
  outputIntervals: number[];
  /** Name of the block whose identical structure was simulated (timing reused), or null if simulated itself. */
  sameAs: string | null;
  images: number;
  simulatedCycles: number;
  deadlock: ChainResult['deadlock'];
}

export interface NetworkSimResult {
  steadyInterval: number;
  imagesPerSecond: number;
  bottleneck: string[];
  perImage: ImageTimes[];
  outputIntervals: number[];
  inputIntervals: number[];
  extraInputBeats: number;
  simulatedCycles: number;
  completed: boolean;
  deadlock: ChainResult['deadlock'];
  chain: ChainResult;
}

export interface DesignSimOptions {
  images: number;
  clockMhz?: number;
  engine?: 'fast' | 'reference';
  /** Images per isolated block run (default min(images, 4), at least 3). */
  blockImages?: number;
  /** Simulate the blocks alone (default true) and/or the whole chain (default true). */
  blocks?: boolean;
  network?: boolean;
  timelineBins?: number;
  /** Memoise the whole-network run (default on; see memo.ts). Off for exact per-process statistics. */
  memo?: boolean;
  onProgress?: (done: number, total: number, what: string) => void;
}

export interface DesignSimResult {
  design: string;
  clockMhz: number;
  images: number;
  blocks: BlockSimResult[];
  network: NetworkSimResult | null;
  simulatedCycles: number;
  wallSeconds: number;
}


/** Simulate one block alone with inputs every cycle and outputs always ready. */
export function simulateBlock(b: Block, images: number, engine: 'fast' | 'reference' = 'fast'): BlockSimResult {
  const r = simulateChain([b], 128, { images, engine, maxCycles: (images + 3) * 400000 });
  const est = blockAnalyticInterval(b);
  return {
    name: b.name,
    kind: b.kind,
    steadyInterval: r.steadyInterval,
    firstImageLatency: r.perImage[0]?.firstInLastOut ?? -1,
    firstOutput: r.perImage[0]?.firstInFirstOut ?? -1,
    analyticInterval: est.cycles,
    analyticProcess: est.process,
    bottleneck: r.bottleneck,
    inputIntervals: r.inputIntervals,
    outputIntervals: r.outputIntervals,
    sameAs: null,
    images,
    simulatedCycles: r.simulatedCycles,
    deadlock: r.deadlock,
  };
}

/**
 * Simulate a design: every block alone (blocks with identical structure are simulated once; `sameAs` names the
 * one whose figures are reused) and the whole chain. Returns typed results; never prints.
 */
export function simulateDesign(d: Design, opts: DesignSimOptions): DesignSimResult {
  const t0 = performance.now();
  const clockMhz = opts.clockMhz ?? 425;
  const blockImages = opts.blockImages ?? Math.max(3, Math.min(opts.images, 4));
  const blocks: BlockSimResult[] = [];
  let cycles = 0;
  const total = (opts.blocks === false ? 0 : d.blocks.length) + (opts.network === false ? 0 : 1);
  let done = 0;
  if (opts.blocks !== false) {
    const cache = new Map<string, BlockSimResult>();
    for (const b of d.blocks) {
      const key = structuralKey(b);
      const hit = cache.get(key);
      if (hit) blocks.push({ ...hit, name: b.name, sameAs: hit.name });
      else {
        const r = simulateBlock(b, blockImages, opts.engine);
        cycles += r.simulatedCycles;
        cache.set(key, r);
        blocks.push(r);
      }
      opts.onProgress?.(++done, total, b.name);
    }
  }
  let network: NetworkSimResult | null = null;
  if (opts.network !== false) {
    const chain = simulateChain(d.blocks, d.linkDepth, { images: opts.images, engine: opts.engine, timelineBins: opts.timelineBins, memo: opts.memo });
    cycles += chain.simulatedCycles;
    network = {
      steadyInterval: chain.steadyInterval,
      imagesPerSecond: chain.steadyInterval > 0 ? (clockMhz * 1e6) / chain.steadyInterval : 0,
      bottleneck: chain.bottleneck,
      perImage: chain.perImage,
      outputIntervals: chain.outputIntervals,
      inputIntervals: chain.inputIntervals,
      extraInputBeats: chain.extraInputBeats,
      simulatedCycles: chain.simulatedCycles,
      completed: chain.completed,
      deadlock: chain.deadlock,
      chain,
    };
    opts.onProgress?.(++done, total, 'network');
  }
  return {
    design: d.name,
    clockMhz,
    images: opts.images,
    blocks,
    network,
    simulatedCycles: cycles,
    wallSeconds: (performance.now() - t0) / 1000,
  };
}
