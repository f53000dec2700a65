import { availableParallelism } from 'node:os';
import { type Block, type Design, blockAnalyticInterval, structuralKey } from '../ir/index.ts';
import { runInThread } from '../workers/index.ts';
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
  /** Called now and then during the whole-network run with the cycle reached (see SimOptions.onCycle). */
  onNetworkCycle?: (cycle: number) => void;
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
 * Every block of a design alone; blocks with identical structure are simulated once (`sameAs` names the one whose
 * figures are reused).
 */
export function simulateBlocksAlone(d: Design, blockImages: number, engine?: 'fast' | 'reference', onBlock?: (name: string) => void): BlockSimResult[] {
  const cache = new Map<string, BlockSimResult>();
  return d.blocks.map((b) => {
    const key = structuralKey(b);
    const hit = cache.get(key);
    const r = hit ? { ...hit, name: b.name, sameAs: hit.name } : simulateBlock(b, blockImages, engine);
    if (!hit) cache.set(key, r);
    onBlock?.(b.name);
    return r;
  });
}

function simulateWholeNetwork(d: Design, opts: DesignSimOptions, clockMhz: number): NetworkSimResult {
  const chain = simulateChain(d.blocks, d.linkDepth, { images: opts.images, engine: opts.engine, timelineBins: opts.timelineBins, memo: opts.memo, onCycle: opts.onNetworkCycle });
  return {
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
}

/** Images each isolated block run simulates for these options. */
export const blockImagesOf = (opts: DesignSimOptions) => opts.blockImages ?? Math.max(3, Math.min(opts.images, 4));

/** One result from the isolated block runs and the whole-network run made apart (another thread, or a page's Web Workers). */
export function assembleDesignSim(d: Design, opts: DesignSimOptions, blocks: BlockSimResult[], network: NetworkSimResult | null, t0: number): DesignSimResult {
  // Blocks reusing another block's figures did not simulate anything themselves.
  const cycles = blocks.reduce((a, b) => a + (b.sameAs ? 0 : b.simulatedCycles), 0) + (network?.simulatedCycles ?? 0);
  return { design: d.name, clockMhz: opts.clockMhz ?? 425, images: opts.images, blocks, network, simulatedCycles: cycles, wallSeconds: (performance.now() - t0) / 1000 };
}

/** Simulate a design: every block alone (see simulateBlocksAlone) and the whole chain. Returns typed results; never prints. */
export function simulateDesign(d: Design, opts: DesignSimOptions): DesignSimResult {
  const t0 = performance.now();
  const total = (opts.blocks === false ? 0 : d.blocks.length) + (opts.network === false ? 0 : 1);
  let done = 0;
  const blocks = opts.blocks === false ? [] : simulateBlocksAlone(d, blockImagesOf(opts), opts.engine, (name) => opts.onProgress?.(++done, total, name));
  const network = opts.network === false ? null : simulateWholeNetwork(d, opts, opts.clockMhz ?? 425);
  if (network) opts.onProgress?.(++done, total, 'network');
  return assembleDesignSim(d, opts, blocks, network, t0);
}

/**
 * simulateDesign with the isolated block runs on a second thread while this one simulates the whole network (the
 * same results; the wall time of the longer part instead of the sum). One part only, or `threads: 1`: as simulateDesign.
 */
export async function simulateDesignConcurrently(d: Design, opts: DesignSimOptions & { threads?: number }): Promise<DesignSimResult> {
  if ((opts.threads ?? availableParallelism()) < 2 || opts.blocks === false || opts.network === false) return simulateDesign(d, opts);
  const t0 = performance.now();
  const task: BlocksTask = { design: d, blockImages: blockImagesOf(opts), engine: opts.engine };
  const blocksAlone = runInThread<BlocksTask, BlockSimResult[]>(new URL('./worker.ts', import.meta.url), task);
  let network: NetworkSimResult;
  try {
    network = simulateWholeNetwork(d, opts, opts.clockMhz ?? 425);
  } catch (e) {
    await blocksAlone.stop();
    throw e;
  }
  // Progress in simulateDesign's units (a block alone each, the network one).
  const total = d.blocks.length + 1;
  opts.onProgress?.(1, total, 'network');
  const blocks = await blocksAlone.result;
  opts.onProgress?.(total, total, 'blocks alone');
  return assembleDesignSim(d, opts, blocks, network, t0);
}

/** The isolated block runs as a worker-thread task (sim/worker.ts). */
export interface BlocksTask {
  design: Design;
  blockImages: number;
  engine?: 'fast' | 'reference';
}
