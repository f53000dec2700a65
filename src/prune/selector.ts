/**
 * The token selectors of a pruned design. Their structure, timing and cost live where every process kind's do: the
 * `token-select` and `score-tap` kinds (src/ir/kinds/token-select.ts), withTokenSelection (src/ir/build-select.ts)
 * and src/cost. This file only reads them off an attention block built with its selection, for the planner.
 */
import { withTokenSelection, type Block, type TokenSelection } from '../ir/index.ts';
import { addedUnit, type AddedUnit, type Device } from '../cost/index.ts';

export interface SelectorInfo extends AddedUnit {
  /** The attention block it follows (ATTNn). */
  after: string;
  tokensIn: number;
  tokensOut: number;
  keep: number;
  /** Bits of the two ping-pong banks. */
  bufferBits: number;
}

/** The selector after `attn` (a built attention block without one): the block with it, and its figures. */
export function selectorFor(attn: Block, sel: TokenSelection, device: Pick<Device, 'capacity'>): { block: Block; info: SelectorInfo } {
  const block = withTokenSelection(attn, sel);
  const added = addedUnit(attn, block, device, (p) => p.kind === 'token-select' || p.kind === 'score-tap', /^(select\.|score_tap|score_head|rq_tap_head|sel_)/);
  const rank = block.processes.find((p) => p.kind === 'token-select' && p.side === 'rank');
  const [tokensOut, bufferBits] = rank?.kind === 'token-select' ? [rank.tokensOut, 2 * Math.ceil(rank.tokensOut / rank.tp) * rank.tp * rank.width * rank.bits] : [0, 0];
  return { block, info: { ...added, after: attn.name, tokensIn: sel.tokensIn, tokensOut, keep: sel.keep, bufferBits } };
}
