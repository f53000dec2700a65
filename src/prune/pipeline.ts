/**
 * Throughput side of a pruning setting: the planned design (plan-pruned.ts), then the cycle-level simulator on each
 * distinct block of it, alone (src/sim; blocks of different token counts cannot be chained in the simulator
 * because the token selector is not an IR process kind, so the network interval is the slowest of the simulated
 * blocks and the analytic selectors, as src/plan's verification also takes the slowest block alone). Block-sparse
 * MAC arrays are IR processes (`sparsity` on mac and window-cache): with weight pruning every layer's block has its
 * own tile patterns and is simulated alone.
 */
import { structuralKey, simulateBlock, type BlockSimResult } from '../sim/index.ts';
import type { Device, Resources } from '../cost/index.ts';
import type { ViTConfig } from '../model/index.ts';
import type { ModelWeights } from '../refs/index.ts';
import { tokenSchedule, type PruneSetting } from './config.ts';
import { planPruned, type PrunedDesign } from './plan-pruned.ts';

export interface PipelinePoint {
  setting: string;
  device: string;
  clockMhz: number;
  /** Tokens each attention / MLP block runs (before padding to token pairs). */
  tokens: { attn: number[]; mlp: number[] };
  analyticInterval: number;
  analyticImagesPerSecond: number;
  /** Slowest simulated block alone (and analytic selectors); null when not simulated or a block deadlocked. */
  simulatedInterval: number | null;
  simulatedImagesPerSecond: number | null;
  simulationNote: string;
  bottleneck: { block: string; process: string };
  resources: Resources;
  fits: boolean;
  design: PrunedDesign;
  simulatedBlocks: Array<{ group: number; kind: string; steadyInterval: number; analyticInterval: number; deadlock: boolean }>;
}

const simCache = new Map<string, BlockSimResult>();

export interface PipelineRequest {
  model: ViTConfig;
  device: Device;
  clockMhz?: number;
  setting: PruneSetting;
  weights?: ModelWeights;
  simulate?: boolean;
  maxUtilization?: number;
  onProgress?: (what: string) => void;
}

export function pipelinePoint(req: PipelineRequest): PipelinePoint {
  const clockMhz = req.clockMhz ?? req.device.clockMhz;
  req.onProgress?.(`planning ${req.setting.name}`);
  const design = planPruned({ model: req.model, device: req.device, setting: req.setting, weights: req.weights, maxUtilization: req.maxUtilization });
  const simulatedBlocks: PipelinePoint['simulatedBlocks'] = [];
  let simulatedInterval: number | null = null;
  let note: string;
  if (req.simulate === false) note = 'not simulated (--no-simulate)';
  else {
    let worst = Math.max(0, ...design.selectors.map((s) => s.cycles));
    for (const g of design.groups)
      for (const b of g.built) {
        const key = structuralKey(b.block);
        let r = simCache.get(key);
        if (!r) {
          req.onProgress?.(`simulating ${b.layers.length === 1 ? b.block.name : b.kind} at ${g.tokens} tokens`);
          simCache.set(key, (r = simulateBlock(b.block, 3)));
        }
        simulatedBlocks.push({ group: g.tokens, kind: b.kind, steadyInterval: r.steadyInterval, analyticInterval: r.analyticInterval, deadlock: r.deadlock !== null });
        worst = Math.max(worst, r.deadlock ? Infinity : r.steadyInterval);
      }
    simulatedInterval = Number.isFinite(worst) ? worst : null;
    note = simulatedInterval === null ? 'a block deadlocked in simulation' : 'slowest block simulated alone (3 images); token selectors analytic';
  }
  return {
    setting: req.setting.name,
    device: req.device.name,
    clockMhz,
    tokens: tokenSchedule(req.model.tokens, req.model.depth, req.setting.tokens),
    analyticInterval: design.interval,
    analyticImagesPerSecond: (clockMhz * 1e6) / design.interval,
    simulatedInterval,
    simulatedImagesPerSecond: simulatedInterval ? (clockMhz * 1e6) / simulatedInterval : null,
    simulationNote: note,
    bottleneck: design.bottleneck,
    resources: design.resources,
    fits: design.fits,
    design,
    simulatedBlocks,
  };
}
