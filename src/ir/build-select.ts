import { st } from './block-builder.ts';
import { selectedTokens } from './kinds/index.ts';
import type { Block, Process, ResidualMergeProcess, ScoreTapProcess, SoftmaxProcess, Stream, TokenSelectProcess } from './types.ts';

/**
 * A token selection after an attention block (token pruning, src/prune): CLS + `keep` image tokens (+ the fused
 * token) leave, at `cpOut` channels per beat. `tokensIn` is the real token count (the block may run it padded to tp).
 */
export interface TokenSelection {
  tokensIn: number;
  keep: number;
  fuse: boolean;
  cpOut: number;
}

/**
 * The attention block followed by a token selection: each head's softmax output passes a `score-tap` (query pair
 * 0's rows, the CLS row, go to the selector too), and the residual merge feeds the selector's `rank` side, whose
 * `emit` side writes the block's output (src/ir/kinds/token-select.ts). Works on any built attention block.
 */
export function withTokenSelection(block: Block, sel: TokenSelection): Block {
  const index = /(\d+)$/.exec(block.name)?.[1] ?? '0';
  const softmaxes = block.processes.filter((p): p is SoftmaxProcess => p.kind === 'softmax');
  const merge = block.processes.find((p): p is ResidualMergeProcess => p.kind === 'residual-merge' && p.outputs[0] === block.output.stream);
  const ln = block.processes.find((p) => p.kind === 'layernorm');
  if (block.norm === 'post') throw new Error(`withTokenSelection: ${block.name} is a post-norm block, which token selection does not model yet`);
  if (block.kind !== 'attn' || !merge || !ln || ln.kind !== 'layernorm' || softmaxes.length === 0)
    throw new Error(`withTokenSelection: ${block.name} is not an attention block`);
  // the CLS row is query pair 0's rows of each head's softmax: a pipeline shared by several heads interleaves them
  if (block.processes.some((p) => p.kind === 'weight-cache' && (p.groups ?? 1) > 1))
    throw new Error(`withTokenSelection: ${block.name} shares attention pipelines between heads, which token selection does not model`);
  const streams: Stream[] = block.streams.map((s) => ({ ...s }));
  const processes: Process[] = block.processes.map((p) => ({ ...p, inputs: [...p.inputs], outputs: [...p.outputs] }));
  const consumerOf = (s: string) => processes.find((p) => p.inputs.includes(s))!;
  const scores: string[] = [];
  softmaxes.forEach((sm, h) => {
    const rq = sm.outputs[0];
    const lanes = sm.tp * sm.cp;
    const tapBeats = sm.keys / sm.cp;
    const fwd = `rq_tap_head${h}`;
    const score = `score_head${h}`;
    // the score FIFO holds the whole CLS row, so the tap never waits for the selector
    streams.push({ name: fwd, lanes, bits: sm.outBits, depth: 2, impl: 'shift-register' }, { name: score, lanes, bits: sm.outBits, depth: tapBeats, impl: tapBeats <= 8 ? 'shift-register' : 'memory' });
    const c = consumerOf(rq);
    c.inputs[c.inputs.indexOf(rq)] = fwd;
    const tap: ScoreTapProcess = {
      kind: 'score-tap', name: `score_tap${h}`, origin: sm.origin, inputs: [rq], outputs: [fwd, score],
      beats: sm.tt * tapBeats, tapBeats, lanes, bits: sm.outBits, stages: st(2, 0, 1),
    };
    processes.push(tap);
    scores.push(score);
  });
  const out = streams.find((s) => s.name === block.output.stream)!;
  streams.push({ name: 'sel_in', lanes: out.lanes, bits: out.bits, depth: 2, impl: 'shift-register' });
  (processes.find((p) => p.name === merge.name)!).outputs[0] = 'sel_in';
  out.lanes = ln.tp * sel.cpOut;
  // claim (two banks) and ready: the ping-pong handshake between the selector's sides
  streams.push({ name: 'sel_claim', lanes: 1, bits: 1, depth: 2, impl: 'shift-register' }, { name: 'sel_ready', lanes: 1, bits: 1, depth: 2, impl: 'shift-register' });
  const common = {
    origin: `blocks.${index}.select`, tokensIn: sel.tokensIn, keep: sel.keep, fuse: sel.fuse, tokensOut: 0, width: ln.channels,
    tp: ln.tp, cpIn: ln.cp, cpOut: sel.cpOut, cpScore: softmaxes[0].cp, heads: softmaxes.length, scoreBits: softmaxes[0].outBits,
    bits: out.bits, stages: st(3, 0, 2),
  };
  common.tokensOut = selectedTokens(common);
  const rank: TokenSelectProcess = { kind: 'token-select', name: 'select.rank', side: 'rank', inputs: ['sel_in', ...scores], outputs: ['sel_claim', 'sel_ready'], ...common };
  const emit: TokenSelectProcess = { kind: 'token-select', name: 'select.emit', side: 'emit', inputs: ['sel_ready', 'sel_claim'], outputs: [block.output.stream], ...common };
  processes.push(rank, emit);
  const slotsOut = Math.ceil(common.tokensOut / ln.tp) * ln.tp;
  return { ...block, streams, processes, output: { ...block.output, beatsPerImage: (slotsOut / ln.tp) * (ln.channels / sel.cpOut) } };
}

/**
 * An attention block running an odd token count after a selection (tp = 2 slots, one of them padding): every
 * softmax ignores the padding key, so that the real tokens do not attend to it.
 */
export function withValidKeys(block: Block, tokens: number): Block {
  if (!block.processes.some((p) => p.kind === 'softmax' && p.keys > tokens)) return block;
  return { ...block, processes: block.processes.map((p) => (p.kind === 'softmax' && p.keys > tokens ? { ...p, validKeys: tokens } : p)) };
}
