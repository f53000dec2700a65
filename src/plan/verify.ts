import type { Design } from '../ir/index.ts';
import { simulateBlock, simulateChain, type BlockSimResult } from '../sim/index.ts';

/** What the cycle-level simulation says about a planned design. */
export interface Verification {
  /** Steady cycles per image of the representative chain (and never less than any block alone). */
  steadyInterval: number;
  /** Image 0, first input beat to last output beat, whole network (see `latencyMethod`). */
  firstImageLatency: number;
  latencyMethod: string;
  /** Blocks simulated alone (one per distinct structure) and the chain that was simulated. */
  blocks: Array<Pick<BlockSimResult, 'name' | 'steadyInterval' | 'firstOutput' | 'firstImageLatency' | 'analyticInterval' | 'analyticProcess'>>;
  chain: string[];
  chainInterval: number;
  deadlock: string | null;
  simulatedCycles: number;
  wallSeconds: number;
}

/**
 * Verify a design whose transformer layers share one structure: simulate the patch embedding, one attention
 * block, one MLP block and the head alone (3 images each), then the chain PATCH_EMBED → ATTN0 → MLP0 → HEAD with
 * its link FIFOs. A chain of identical stages runs at the rate of one of them (HG-PIPE's 6-block and 26-block
 * chains both settle at 57,625), so the chain's steady interval stands for the network's; simulating all 26 blocks
 * takes minutes (`fullNetwork`).
 */
export function verifyDesign(d: Design, opts: { images?: number; fullNetwork?: boolean; onProgress?: (what: string) => void } = {}): Verification {
  const t0 = performance.now();
  const images = opts.images ?? 3;
  const pick = (name: string) => d.blocks.find((b) => b.name === name);
  const reps = ['PATCH_EMBED', 'ATTN0', 'MLP0', 'HEAD'].map(pick).filter((b) => b !== undefined);
  const blocks: Verification['blocks'] = [];
  let cycles = 0;
  let deadlock: string | null = null;
  for (const b of reps) {
    opts.onProgress?.(`simulating ${b.name} alone`);
    const r = simulateBlock(b, images);
    cycles += r.simulatedCycles;
    if (r.deadlock && !deadlock) deadlock = `${b.name}: ${JSON.stringify(r.deadlock).slice(0, 400)}`;
    blocks.push({ name: r.name, steadyInterval: r.steadyInterval, firstOutput: r.firstOutput, firstImageLatency: r.firstImageLatency, analyticInterval: r.analyticInterval, analyticProcess: r.analyticProcess });
  }
  const chainBlocks = opts.fullNetwork ? d.blocks : reps;
  opts.onProgress?.(`simulating the chain of ${chainBlocks.length} blocks`);
  const chain = simulateChain(chainBlocks, d.linkDepth, { images });
  cycles += chain.simulatedCycles;
  if (chain.deadlock && !deadlock) deadlock = `chain: ${JSON.stringify(chain.deadlock).slice(0, 400)}`;
  const steady = Math.max(chain.steadyInterval, ...blocks.map((b) => b.steadyInterval));
  // Image 0's latency: the simulated chain's, plus the first-output delay of each attention and MLP block left out
  const layers = d.blocks.filter((b) => b.kind === 'attn').length;
  const attn = blocks.find((b) => b.name === 'ATTN0');
  const mlp = blocks.find((b) => b.name === 'MLP0');
  const chainLatency = chain.perImage[0]?.firstInLastOut ?? -1;
  const extra = opts.fullNetwork || !attn || !mlp ? 0 : (layers - 1) * (attn.firstOutput + mlp.firstOutput);
  return {
    steadyInterval: steady,
    firstImageLatency: chainLatency < 0 ? -1 : chainLatency + extra,
    latencyMethod: opts.fullNetwork
      ? 'simulated, whole network'
      : `simulated chain ${chainBlocks.map((b) => b.name).join('→')} plus ${layers - 1} × (ATTN + MLP first-output delay)`,
    blocks,
    chain: chainBlocks.map((b) => b.name),
    chainInterval: chain.steadyInterval,
    deadlock,
    simulatedCycles: cycles,
    wallSeconds: (performance.now() - t0) / 1000,
  };
}
