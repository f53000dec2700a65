/**
 * Throughput side of a pruning setting: the planned design (plan-pruned.ts) as one chained design (chain.ts: blocks
 * of every token count, the token selectors inside their attention blocks, block-sparse MACs as the planner built
 * them), simulated as a whole by the same simulator entry as the unpruned network (src/sim), several images. The
 * headline figure is the chain's steady interval; a deadlocking design is reported, not waited for.
 */
import { simulateNetwork } from '../sim/index.ts';
import type { Device, Resources } from '../cost/index.ts';
import type { Design } from '../ir/index.ts';
import type { ViTConfig } from '../model/index.ts';
import type { ModelWeights } from '../refs/index.ts';
import { prunedNetwork } from './chain.ts';
import { settingSchedule, type PruneSetting } from './config.ts';
import { planPruned, type PrunedDesign } from './plan-pruned.ts';

export interface ChainFigures {
  images: number;
  completed: boolean;
  /** Last-output distance between the last two images (the network's steady interval). */
  steadyInterval: number | null;
  outputIntervals: number[];
  /** First input beat of image 0 → its last output beat. */
  firstImageLatency: number | null;
  /** The wait-for cycle's message when the chain deadlocked. */
  deadlock: string | null;
  simulatedCycles: number;
  wallSeconds: number;
}

export interface PipelinePoint {
  setting: string;
  device: string;
  clockMhz: number;
  /** Tokens each attention / MLP block runs (before padding to token pairs). */
  tokens: { attn: number[]; mlp: number[] };
  analyticInterval: number;
  analyticImagesPerSecond: number;
  /** The chained design's simulated steady interval; null when not simulated or deadlocked. */
  simulatedInterval: number | null;
  simulatedImagesPerSecond: number | null;
  simulationNote: string;
  bottleneck: { block: string; process: string };
  resources: Resources;
  fits: boolean;
  design: PrunedDesign;
  /** The whole pruned network as one design (what was simulated; what `vitpipe generate` emits). */
  network: Design;
  chain: ChainFigures | null;
}

export interface PipelineRequest {
  model: ViTConfig;
  device: Device;
  clockMhz?: number;
  setting: PruneSetting;
  weights?: ModelWeights;
  simulate?: boolean;
  /** Images through the chain (default 4). */
  images?: number;
  maxUtilization?: number;
  onProgress?: (what: string) => void;
}

const simCache = new Map<string, ChainFigures>();

/** Simulate a chained design; deadlocks and runaway runs come back as figures, never as a hang. */
export function simulatePruned(d: Design, images: number, analyticInterval: number): ChainFigures {
  const t0 = performance.now();
  // generous: the unpruned network fills in ≈ 14 intervals
  const maxCycles = Math.ceil((images + 40) * analyticInterval * 2);
  const r = simulateNetwork(d, { images, maxCycles });
  return {
    images,
    completed: r.completed,
    steadyInterval: r.completed ? r.steadyInterval : null,
    outputIntervals: r.outputIntervals,
    firstImageLatency: r.perImage[0]?.firstInLastOut ?? null,
    deadlock: r.completed ? null : r.deadlock?.message ?? `no progress within ${maxCycles} cycles`,
    simulatedCycles: r.simulatedCycles,
    wallSeconds: (performance.now() - t0) / 1000,
  };
}

export function pipelinePoint(req: PipelineRequest): PipelinePoint {
  const clockMhz = req.clockMhz ?? req.device.clockMhz;
  const images = req.images ?? 4;
  req.onProgress?.(`planning ${req.setting.name}`);
  const design = planPruned({ model: req.model, device: req.device, setting: req.setting, weights: req.weights, maxUtilization: req.maxUtilization });
  const network = prunedNetwork(req.model, design, req.setting, req.device);
  let chain: ChainFigures | null = null;
  let note: string;
  if (req.simulate === false) note = 'not simulated (--no-simulate)';
  else {
    const key = `${images}|${JSON.stringify(network.blocks)}`;
    chain = simCache.get(key) ?? null;
    if (!chain) {
      req.onProgress?.(`simulating ${req.setting.name} (${network.blocks.length} blocks, ${images} images)`);
      chain = simulatePruned(network, images, design.interval);
      simCache.set(key, chain);
    }
    note = chain.deadlock ? `the chained design deadlocked: ${chain.deadlock}` : `whole chained network simulated (${images} images)`;
  }
  const simulatedInterval = chain?.steadyInterval ?? null;
  return {
    setting: req.setting.name,
    device: req.device.name,
    clockMhz,
    tokens: settingSchedule(req.model.tokens, req.model.depth, req.setting),
    analyticInterval: design.interval,
    analyticImagesPerSecond: (clockMhz * 1e6) / design.interval,
    simulatedInterval,
    simulatedImagesPerSecond: simulatedInterval ? (clockMhz * 1e6) / simulatedInterval : null,
    simulationNote: note,
    bottleneck: design.bottleneck,
    resources: design.resources,
    fits: design.fits,
    design,
    network,
    chain,
  };
}
