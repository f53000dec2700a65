import type { ModelHardware } from '../model/index.ts';
import { BlockBuilder, st } from './block-builder.ts';
import { mlpWidths } from './block-widths.ts';
import { addStaticMatmul } from './build-matmul.ts';
import type { MlpConfig } from './config.ts';
import type { Block } from './types.ts';

export interface BlockGeometry {
  tokens: number;
  width: number;
  heads: number;
  mlpHidden: number;
  weightBits: number;
  actBits: number;
  /** The model's own structure and widths per block (a quantized folder); absent: HG-PIPE's pre-norm blocks. */
  hardware?: ModelHardware;
}

/**
 * MLP block (DATAFLOW §2): residual fork, LayerNorm, fc1, GELU, fc2 (free-running MAC), residual merge. A post-norm
 * model (g.hardware) moves the LayerNorm behind the residual merge, with an input requantizer `x.quant` before fc1
 * where its weights have one; its activation may be ReLU (the same table requantizer, `relu`).
 */
export function buildMlpBlock(name: string, index: number, g: BlockGeometry, c: MlpConfig): Block {
  const b = new BlockBuilder(name, 'mlp');
  const o = `blocks.${index}.mlp`;
  const tt = g.tokens / c.tp;
  const lanes = c.tp * c.lnCp;
  const beats = (tt * g.width) / c.lnCp;
  const f = c.fifo;
  const w = mlpWidths(c, g.hardware?.norm === 'post', g.hardware?.mlp[index]);
  const act = g.hardware?.activation ?? 'gelu';
  const input = b.stream('in', lanes, w.inBits, 2, 'shift-register');
  const main = b.stream('main_sm', lanes, w.inBits, f.main);
  const resiI = b.stream('resi_i_sm', lanes, w.inBits, f.resiI);
  const resi = b.stream('resi_sm', 2 * lanes, w.inBits, f.resi, 'memory');
  const resiO = b.stream('resi_o_sm', lanes, w.inBits, f.resiO);
  // fc1's codes: pre-norm, the LayerNorm's output; post-norm, the input itself or its requantization
  const direct = w.post && w.inQuantEntries === undefined;
  const ln = direct ? main : b.stream('ln_sm', lanes, g.actBits, f.ln);
  const m1 = 'm1_sm';
  const ge = b.stream('ge_sm', c.tp * c.geluCp, g.actBits, f.other);
  const m2 = b.stream('m2_sm', lanes, w.post ? w.fc2Acc ?? w.sumBits : w.outBits, f.other);
  const output = b.stream('out', lanes, w.outBits, 2, 'shift-register');

  b.add({ kind: 'stream-copy', name: 'stream_copy', origin: `${o}.residual`, inputs: [input], outputs: [main, resiI], beats, lanes, bits: w.inBits, stages: st(2, 0, 1) });
  b.add({ kind: 'adapter', name: 'resi_i_adapter', origin: `${o}.residual`, inputs: [resiI], outputs: [resi], tt, tp: c.tp, channels: g.width, cip: c.lnCp, cop: 2 * c.lnCp, bits: w.inBits, stages: st(3, 1, 2) });
  b.add({ kind: 'adapter', name: 'resi_o_adapter', origin: `${o}.residual`, inputs: [resi], outputs: [resiO], tt, tp: c.tp, channels: g.width, cip: 2 * c.lnCp, cop: c.lnCp, bits: w.inBits, stages: st(4, 2, 3) });
  const front = w.post ? (direct ? undefined : 'x.quant') : 'layernorm';
  if (!w.post) b.add({ kind: 'layernorm', name: 'layernorm', origin: `${o}.norm`, inputs: [main], outputs: [ln], tt, tp: c.tp, channels: g.width, cp: c.lnCp, inBits: w.inBits, outBits: g.actBits, stages: st(c.lnDepth, 2, c.lnDepth - 1), ...(w.rsqrt ? { rsqrt: w.rsqrt } : {}) });
  else if (!direct) b.add({ kind: 'requant', fn: 'quant', name: 'x.quant', origin: `${o}.in_quant`, inputs: [main], outputs: [ln], beats, lanes, inBits: w.inBits, outBits: g.actBits, tableEntries: w.inQuantEntries!, stages: st(4, 1, 3) });
  const common = { weightBits: g.weightBits, adptDepth: f.adpt, macDepth: f.other };
  const fc1 = addStaticMatmul(b, {
    ...common, inBits: direct ? w.inBits : g.actBits, accBits: w.fc1Acc, prefix: 'm1', origin: `${o}.fc1`, shape: { tt, tp: c.tp, ci: g.width, co: g.mlpHidden, ...c.fc1 },
    inCp: c.lnCp, outCp: c.geluCp, style: 'stall-all', windowDepth: f.other,
    stages: { adapterI: st(3, 0, 2), window: st(4, 2, 3), mac: st(6, 2, 5), adapterO: st(4, 2, 3) },
  }, ln, m1);
  b.stream(m1, c.tp * c.geluCp, fc1.accBits, f.other);
  b.add({ kind: 'requant', name: act, fn: act, origin: `${o}.act`, inputs: [m1], outputs: [ge], beats: (tt * g.mlpHidden) / c.geluCp, lanes: c.tp * c.geluCp, inBits: fc1.accBits, outBits: g.actBits, tableEntries: w.actEntries, stages: st(4, 1, 3) });
  const fc2 = addStaticMatmul(b, {
    ...common, inBits: g.actBits, accBits: w.fc2Acc, prefix: 'm2', origin: `${o}.fc2`, shape: { tt, tp: c.tp, ci: g.mlpHidden, co: g.width, ...c.fc2 },
    inCp: c.geluCp, outCp: c.lnCp, style: 'free-running', frpBuffer: 8, windowDepth: f.fc2Window,
    stages: { adapterI: st(3, 0, 2), window: st(4, 2, 3), mac: st(7, 3, 6), adapterO: st(4, 2, 3) },
  }, ge, m2);
  // post-norm: the residual sum goes through the LayerNorm to the output. The LayerNorm reads a token pair's row and
  // then computes for two row-times without reading: one row of FIFO in front keeps the merge (and fc2) streaming.
  const sum = w.post ? b.stream('sum_sm', lanes, w.sumBits, f.sum ?? g.width / c.lnCp) : output;
  b.add({ kind: 'residual-merge', name: 'stream_merge', origin: `${o}.residual`, inputs: [resiO, m2], outputs: [sum], beats, lanes, bits: w.sumBits, stages: st(7, 1, 5) });
  if (w.post) b.add({ kind: 'layernorm', name: 'layernorm', origin: `${o}.norm`, inputs: [sum], outputs: [output], tt, tp: c.tp, channels: g.width, cp: c.lnCp, inBits: w.sumBits, outBits: w.outBits, stages: st(c.lnDepth, 2, c.lnDepth - 1), ...(w.rsqrt ? { rsqrt: w.rsqrt } : {}) });

  b.start('stream_copy', front ? [front, 'resi_i_adapter'] : ['resi_i_adapter']);
  b.start('resi_i_adapter', 'resi_o_adapter');
  b.start('resi_o_adapter', 'stream_merge', 4);
  // post-norm without a requantizer: the residual fork itself starts fc1
  b.start(front ?? 'stream_copy', fc1.adapterI);
  b.start(fc1.adapterI, [fc1.window, act]);
  b.start(fc1.window, fc1.mac);
  b.start(fc1.mac, fc1.adapterO);
  b.start(act, fc2.adapterI);
  b.start(fc2.adapterI, fc2.window);
  b.start(fc2.window, fc2.mac);
  b.start(fc2.mac, fc2.adapterO);
  if (w.post) b.start('stream_merge', 'layernorm');
  return b.build(input, beats, output, beats, w.post);
}
