import { st } from './block-builder.ts';
import type { Block, Process, RequantProcess, ResidualMergeProcess, ScoreTapProcess, Stream, TokenMergeProcess } from './types.ts';

/**
 * A token merge after an attention block (ToMe, src/merge): `merged` of `tokensIn` tokens merge into others, the
 * rest leave at `cpOut` channels per beat. `tokensIn` is the real token count (the block may run it padded to tp).
 */
export interface TokenMerge {
  tokensIn: number;
  merged: number;
  cpOut: number;
}

const clog2 = (n: number) => (n <= 1 ? 0 : Math.ceil(Math.log2(n)));

/**
 * The attention block followed by a token merge: the k quant output passes a `score-tap` copying every beat to the
 * merge unit's `keys` side, `match` plans the merge from them, the residual merge feeds the `gather` side through a
 * FIFO of the whole image (so that the block never waits for the plan), and the `emit` side writes the block's output
 * (src/ir/kinds/token-merge.ts).
 */
export function withTokenMerge(block: Block, m: TokenMerge): Block {
  const index = /(\d+)$/.exec(block.name)?.[1] ?? '0';
  const merge = block.processes.find((p): p is ResidualMergeProcess => p.kind === 'residual-merge' && p.outputs[0] === block.output.stream);
  const ln = block.processes.find((p) => p.kind === 'layernorm');
  const kQuant = block.processes.find((p): p is RequantProcess => p.kind === 'requant' && p.name === 'k.quant');
  const heads = block.processes.filter((p) => p.kind === 'softmax').length;
  if (block.norm === 'post') throw new Error(`withTokenMerge: ${block.name} is a post-norm block, which token merging does not model yet`);
  if (block.kind !== 'attn' || !merge || !ln || ln.kind !== 'layernorm' || !kQuant || heads === 0)
    throw new Error(`withTokenMerge: ${block.name} is not an attention block`);
  if (block.processes.some((p) => p.kind === 'weight-cache' && (p.groups ?? 1) > 1))
    throw new Error(`withTokenMerge: ${block.name} shares attention pipelines between heads, which token merging does not model`);
  const streams: Stream[] = block.streams.map((s) => ({ ...s }));
  const processes: Process[] = block.processes.map((p) => ({ ...p, inputs: [...p.inputs], outputs: [...p.outputs] }));
  // the key tap on the k quant output
  const kq = kQuant.outputs[0];
  const kConsumer = processes.find((p) => p.inputs.includes(kq))!;
  const keyBeats = kQuant.beats;
  streams.push(
    { name: 'kq_tap_fwd', lanes: kQuant.lanes, bits: kQuant.outBits, depth: 2, impl: 'shift-register' },
    { name: 'merge_keys', lanes: kQuant.lanes, bits: kQuant.outBits, depth: 2, impl: 'shift-register' },
  );
  kConsumer.inputs[kConsumer.inputs.indexOf(kq)] = 'kq_tap_fwd';
  const tap: ScoreTapProcess = {
    kind: 'score-tap', name: 'key_tap', origin: kQuant.origin, inputs: [kq], outputs: ['kq_tap_fwd', 'merge_keys'],
    beats: keyBeats, tapBeats: keyBeats, lanes: kQuant.lanes, bits: kQuant.outBits, stages: st(2, 0, 1),
  };
  processes.push(tap);
  const out = streams.find((s) => s.name === block.output.stream)!;
  // the whole image: the block's output never waits for the plan (which needs all keys and the similarity loop)
  const inBeats = (Math.ceil(m.tokensIn / ln.tp) * ln.tp / ln.tp) * (ln.channels / ln.cp);
  streams.push({ name: 'merge_in', lanes: out.lanes, bits: out.bits, depth: inBeats, impl: 'memory' });
  (processes.find((p) => p.name === merge.name)!).outputs[0] = 'merge_in';
  out.lanes = ln.tp * m.cpOut;
  streams.push(
    { name: 'merge_metric', lanes: 1, bits: 1, depth: 2, impl: 'shift-register' },
    { name: 'merge_plan', lanes: 1, bits: 1, depth: 2, impl: 'shift-register' },
    { name: 'merge_claim', lanes: 1, bits: 1, depth: 2, impl: 'shift-register' },
    { name: 'merge_ready', lanes: 1, bits: 1, depth: 2, impl: 'shift-register' },
  );
  const headDim = ln.channels / heads;
  const common = {
    origin: `blocks.${index}.merge`, tokensIn: m.tokensIn, tokensOut: m.tokensIn - m.merged, merged: m.merged, width: ln.channels, heads, headDim,
    tp: ln.tp, cpIn: ln.cp, cpOut: m.cpOut, cpKey: kQuant.lanes / ln.tp, keyBits: kQuant.outBits, bits: out.bits, sizeBits: clog2(m.tokensIn + 1),
    simLanes: headDim, stages: st(3, 0, 2),
  };
  const keys: TokenMergeProcess = { kind: 'token-merge', name: 'merge.keys', side: 'keys', inputs: ['merge_keys'], outputs: ['merge_metric'], ...common };
  const match: TokenMergeProcess = { kind: 'token-merge', name: 'merge.match', side: 'match', inputs: ['merge_metric'], outputs: ['merge_plan'], ...common };
  const gather: TokenMergeProcess = { kind: 'token-merge', name: 'merge.gather', side: 'gather', inputs: ['merge_in', 'merge_plan'], outputs: ['merge_claim', 'merge_ready'], ...common };
  const emit: TokenMergeProcess = { kind: 'token-merge', name: 'merge.emit', side: 'emit', inputs: ['merge_ready', 'merge_claim'], outputs: [block.output.stream], ...common };
  processes.push(keys, match, gather, emit);
  const slotsOut = Math.ceil(common.tokensOut / ln.tp) * ln.tp;
  return { ...block, streams, processes, output: { ...block.output, beatsPerImage: (slotsOut / ln.tp) * (ln.channels / m.cpOut) } };
}
