/**
 * The token selectors of a pruned design. Their structure, timing and cost live where every process kind's do: the
 * `token-select` and `score-tap` kinds (src/ir/kinds/token-select.ts), withTokenSelection (src/ir/build-select.ts)
 * and src/cost. This file only reads them off an attention block built with its selection, for the planner.
 */
import { processCycles, withTokenSelection, type Block, type TokenSelection } from '../ir/index.ts';
import { estimateBlock, RESOURCE_KEYS, res, type Device, type MemoryUse, type Resources } from '../cost/index.ts';

export interface SelectorInfo {
  /** The attention block it follows (ATTNn). */
  after: string;
  tokensIn: number;
  tokensOut: number;
  keep: number;
  /** Slowest of the selector's processes (cycles per image, never stalled) and its name. */
  cycles: number;
  process: string;
  /** What the taps, the selector and their streams add to the attention block. */
  resources: Resources;
  /** Its BRAM-bound memories (the ping-pong banks, the score FIFOs), for URAM rebinding. */
  memories: MemoryUse[];
  bufferBits: number;
}

const ADDED = /^(select\.|score_tap|score_head|rq_tap_head|sel_)/;

/** The selector after `attn` (a built attention block without one): the block with it, and its figures. */
export function selectorFor(attn: Block, sel: TokenSelection, device: Pick<Device, 'capacity'>): { block: Block; info: SelectorInfo } {
  const block = withTokenSelection(attn, sel);
  const withSel = estimateBlock(block, device);
  const without = estimateBlock(attn, device);
  const resources = res(Object.fromEntries(RESOURCE_KEYS.map((k) => [k, withSel.resources[k] - without.resources[k]])));
  let cycles = 0;
  let process = '';
  let tokensOut = 0;
  let bufferBits = 0;
  for (const p of block.processes) {
    if (p.kind !== 'token-select' && p.kind !== 'score-tap') continue;
    const c = processCycles(p);
    if (c > cycles) [cycles, process] = [c, p.name];
    if (p.kind === 'token-select' && p.side === 'rank') {
      tokensOut = p.tokensOut;
      bufferBits = 2 * Math.ceil(p.tokensOut / p.tp) * p.tp * p.width * p.bits;
    }
  }
  return {
    block,
    info: {
      after: attn.name, tokensIn: sel.tokensIn, tokensOut, keep: sel.keep, cycles, process, resources, bufferBits,
      memories: withSel.memories.filter((m) => ADDED.test(m.process)),
    },
  };
}
