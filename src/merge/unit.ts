/**
 * The merge units of a merged design, read off an attention block built with one (src/ir/build-merge.ts, the
 * `token-merge` kind), for the planner: what they add to the block, their slowest process, their memories.
 */
import { processCycles, withTokenMerge, type Block, type TokenMerge } from '../ir/index.ts';
import { estimateBlock, RESOURCE_KEYS, res, type Device, type MemoryUse, type Resources } from '../cost/index.ts';

export interface MergeUnitInfo {
  /** The attention block it follows (ATTNn). */
  after: string;
  tokensIn: number;
  tokensOut: number;
  /** Image tokens leaving (tokensOut − 1), as a selector's `keep`. */
  keep: number;
  /** Slowest of the unit's processes (cycles per image, never stalled) and its name. */
  cycles: number;
  process: string;
  resources: Resources;
  /** Its BRAM-bound memories, for URAM rebinding. */
  memories: MemoryUse[];
  /** Bits of the two ping-pong image banks (size·x accumulators). */
  bufferBits: number;
}

const ADDED = /^(merge\.|key_tap|merge_|kq_tap)/;

export function mergeUnitFor(attn: Block, m: TokenMerge, device: Pick<Device, 'capacity'>): { block: Block; info: MergeUnitInfo } {
  const block = withTokenMerge(attn, m);
  const withUnit = estimateBlock(block, device);
  const without = estimateBlock(attn, device);
  const resources = res(Object.fromEntries(RESOURCE_KEYS.map((k) => [k, withUnit.resources[k] - without.resources[k]])));
  let cycles = 0;
  let process = '';
  let bufferBits = 0;
  for (const p of block.processes) {
    if (p.kind !== 'token-merge' && p.name !== 'key_tap') continue;
    const c = processCycles(p);
    if (c > cycles) [cycles, process] = [c, p.name];
    if (p.kind === 'token-merge' && p.side === 'gather') bufferBits = 2 * Math.ceil(p.tokensOut / p.tp) * p.tp * p.width * (p.bits + p.sizeBits + 1);
  }
  const tokensOut = m.tokensIn - m.merged;
  return {
    block,
    info: { after: attn.name, tokensIn: m.tokensIn, tokensOut, keep: tokensOut - 1, cycles, process, resources, bufferBits, memories: withUnit.memories.filter((x) => ADDED.test(x.process)) },
  };
}
