import { BlockBuilder, st } from './block-builder.ts';
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
}

/** MLP block (DATAFLOW §2): residual fork, LayerNorm, fc1, GELU, fc2 (free-running MAC), residual merge. */
export function buildMlpBlock(name: string, index: number, g: BlockGeometry, c: MlpConfig): Block {
  const b = new BlockBuilder(name, 'mlp');
  const o = `blocks.${index}.mlp`;
  const tt = g.tokens / c.tp;
  const lanes = c.tp * c.lnCp;
  const beats = (tt * g.width) / c.lnCp;
  const f = c.fifo;
  const input = b.stream('in', lanes, c.inBits, 2, 'shift-register');
  const main = b.stream('main_sm', lanes, c.inBits, f.main);
  const resiI = b.stream('resi_i_sm', lanes, c.inBits, f.resiI);
  const resi = b.stream('resi_sm', 2 * lanes, c.inBits, f.resi, 'memory');
  const resiO = b.stream('resi_o_sm', lanes, c.inBits, f.resiO);
  const ln = b.stream('ln_sm', lanes, g.actBits, f.ln);
  const m1 = 'm1_sm';
  const ge = b.stream('ge_sm', c.tp * c.geluCp, g.actBits, f.other);
  const m2 = b.stream('m2_sm', lanes, c.outBits, f.other);
  const output = b.stream('out', lanes, c.outBits, 2, 'shift-register');

  b.add({ kind: 'stream-copy', name: 'stream_copy', origin: `${o}.residual`, inputs: [input], outputs: [main, resiI], beats, lanes, bits: c.inBits, stages: st(2, 0, 1) });
  b.add({ kind: 'adapter', name: 'resi_i_adapter', origin: `${o}.residual`, inputs: [resiI], outputs: [resi], tt, tp: c.tp, channels: g.width, cip: c.lnCp, cop: 2 * c.lnCp, bits: c.inBits, stages: st(3, 1, 2) });
  b.add({ kind: 'adapter', name: 'resi_o_adapter', origin: `${o}.residual`, inputs: [resi], outputs: [resiO], tt, tp: c.tp, channels: g.width, cip: 2 * c.lnCp, cop: c.lnCp, bits: c.inBits, stages: st(4, 2, 3) });
  b.add({ kind: 'layernorm', name: 'layernorm', origin: `${o}.norm`, inputs: [main], outputs: [ln], tt, tp: c.tp, channels: g.width, cp: c.lnCp, inBits: c.inBits, outBits: g.actBits, stages: st(c.lnDepth, 2, c.lnDepth - 1) });
  const common = { inBits: g.actBits, weightBits: g.weightBits, adptDepth: f.adpt, macDepth: f.other };
  const fc1 = addStaticMatmul(b, {
    ...common, prefix: 'm1', origin: `${o}.fc1`, shape: { tt, tp: c.tp, ci: g.width, co: g.mlpHidden, ...c.fc1 },
    inCp: c.lnCp, outCp: c.geluCp, style: 'stall-all', windowDepth: f.other,
    stages: { adapterI: st(3, 0, 2), window: st(4, 2, 3), mac: st(6, 2, 5), adapterO: st(4, 2, 3) },
  }, ln, m1);
  b.stream(m1, c.tp * c.geluCp, fc1.accBits, f.other);
  b.add({ kind: 'requant', name: 'gelu', fn: 'gelu', origin: `${o}.act`, inputs: [m1], outputs: [ge], beats: (tt * g.mlpHidden) / c.geluCp, lanes: c.tp * c.geluCp, inBits: fc1.accBits, outBits: g.actBits, tableEntries: 64, stages: st(4, 1, 3) });
  const fc2 = addStaticMatmul(b, {
    ...common, prefix: 'm2', origin: `${o}.fc2`, shape: { tt, tp: c.tp, ci: g.mlpHidden, co: g.width, ...c.fc2 },
    inCp: c.geluCp, outCp: c.lnCp, style: 'free-running', frpBuffer: 8, windowDepth: f.fc2Window,
    stages: { adapterI: st(3, 0, 2), window: st(4, 2, 3), mac: st(7, 3, 6), adapterO: st(4, 2, 3) },
  }, ge, m2);
  b.add({ kind: 'residual-merge', name: 'stream_merge', origin: `${o}.residual`, inputs: [resiO, m2], outputs: [output], beats, lanes, bits: c.outBits, stages: st(7, 1, 5) });

  b.start('stream_copy', ['layernorm', 'resi_i_adapter']);
  b.start('resi_i_adapter', 'resi_o_adapter');
  b.start('resi_o_adapter', 'stream_merge', 4);
  b.start('layernorm', fc1.adapterI);
  b.start(fc1.adapterI, [fc1.window, 'gelu']);
  b.start(fc1.window, fc1.mac);
  b.start(fc1.mac, fc1.adapterO);
  b.start('gelu', fc2.adapterI);
  b.start(fc2.adapterI, fc2.window);
  b.start(fc2.window, fc2.mac);
  b.start(fc2.mac, fc2.adapterO);
  return b.build(input, beats, output, beats);
}
