/**
 * The merge units of a merged design, read off an attention block built with one (src/ir/build-merge.ts, the
 * `token-merge` kind), for the planner: what they add to the block, their slowest process, their memories.
 */
import { withTokenMerge, type Block, type TokenMerge } from '../ir/index.ts';
import { addedUnit, type AddedUnit, type Device } from '../cost/index.ts';

export interface MergeUnitInfo extends AddedUnit {
  /** The attention block it follows (ATTNn). */
  after: string;
  tokensIn: number;
  tokensOut: number;
  /** Image tokens leaving (tokensOut − 1), as a selector's `keep`. */
  keep: number;
  /** Bits of the two ping-pong image banks (size·x accumulators). */
  bufferBits: number;
}

export function mergeUnitFor(attn: Block, m: TokenMerge, device: Pick<Device, 'capacity'>): { block: Block; info: MergeUnitInfo } {
  const block = withTokenMerge(attn, m);
  const added = addedUnit(attn, block, device, (p) => p.kind === 'token-merge' || p.name === 'key_tap', /^(merge\.|key_tap|merge_|kq_tap)/);
  const gather = block.processes.find((p) => p.kind === 'token-merge' && p.side === 'gather');
  const bufferBits = gather?.kind === 'token-merge' ? 2 * Math.ceil(gather.tokensOut / gather.tp) * gather.tp * gather.width * (gather.bits + gather.sizeBits + 1) : 0;
  const tokensOut = m.tokensIn - m.merged;
  return { block, info: { ...added, after: attn.name, tokensIn: m.tokensIn, tokensOut, keep: tokensOut - 1, bufferBits } };
}
