import type { ModelHardware } from '../model/index.ts';
import { BlockBuilder, accBits, st } from './block-builder.ts';
import { addStaticMatmul } from './build-matmul.ts';
import type { HeadConfig, PatchEmbedConfig } from './config.ts';
import type { Block } from './types.ts';

export interface EndsGeometry {
  tokens: number;
  width: number;
  patchElements: number;
  numClasses: number;
  embedBits: number;
  headBits: number;
  /** The model's own widths (a quantized folder); absent: the configs' widths and worst-case accumulators. */
  hardware?: ModelHardware;
}

/** Patch embedding (DATAFLOW §3): adapter → cache_window → free-running DSP MAC (CLS + position bias) → adapter. */
export function buildPatchEmbedBlock(g: EndsGeometry, c: PatchEmbedConfig): Block {
  const b = new BlockBuilder('PATCH_EMBED', 'patch-embed');
  const tt = g.tokens / c.tp;
  const inBeats = (tt * g.patchElements) / c.inCp;
  const outBeats = (tt * g.width) / c.outCp;
  const hw = g.hardware?.patchEmbed;
  const input = b.stream('in', c.tp * c.inCp, c.inBits, 2, 'shift-register');
  const output = b.stream('out', c.tp * c.outCp, hw?.outBits ?? c.outBits, 2, 'shift-register');
  const mm = addStaticMatmul(b, {
    prefix: 'pe', origin: 'patch_embed.proj', shape: { tt, tp: c.tp, ci: g.patchElements, co: g.width, ...c.mac },
    inCp: c.inCp, outCp: c.outCp, inBits: g.embedBits, weightBits: g.embedBits, accBits: hw?.accBits, style: 'free-running', frpBuffer: 12,
    adptDepth: c.fifo.adpt, windowDepth: c.fifo.window, macDepth: c.fifo.other,
    stages: { adapterI: st(3, 0, 2), window: st(4, 2, 3), mac: st(11, 4, 10), adapterO: st(5, 2, 3) },
  }, input, output);
  b.start(mm.adapterI, mm.window);
  b.start(mm.window, mm.mac);
  b.start(mm.mac, mm.adapterO);
  return b.build(input, inBeats, output, outBeats);
}

/** Classification head (DATAFLOW §5): select the CLS row, LayerNorm it, 1 × classes matmul. */
export function buildHeadBlock(g: EndsGeometry, c: HeadConfig): Block {
  const b = new BlockBuilder('HEAD', 'head');
  const tt = g.tokens / c.tp;
  const inBeats = tt * g.width;
  const hw = g.hardware?.head;
  const inBits = hw?.inBits ?? c.inBits;
  const input = b.stream('in', c.tp, inBits, 2, 'shift-register');
  const cls = b.stream('cls_sm', 1, inBits, c.fifo.other);
  const ln = b.stream('ln_sm', 1, g.headBits, c.fifo.other);
  const acc = hw?.accBits ?? accBits(g.headBits, g.headBits, g.width);
  const output = b.stream('out', 1, acc, 2, 'shift-register');
  b.add({ kind: 'cls-select', name: 'select_cls', origin: 'head.cls', inputs: [input], outputs: [cls], beats: inBeats, channels: g.width, lanes: c.tp, bits: inBits, stages: st(3, 0, 2) });
  b.add({ kind: 'layernorm', name: 'layernorm', origin: 'head.norm', inputs: [cls], outputs: [ln], tt: 1, tp: 1, channels: g.width, cp: 1, inBits, outBits: g.headBits, stages: st(c.lnDepth, 1, c.lnDepth - 1), ...(hw ? { rsqrt: hw.rsqrt } : {}) });
  const mm = addStaticMatmul(b, {
    prefix: 'fc', origin: 'head.fc', shape: { tt: 1, tp: 1, ci: g.width, co: g.numClasses, ...c.mac }, inCp: 1, outCp: 1,
    inBits: g.headBits, weightBits: g.headBits, accBits: acc, style: 'stall-all', adptDepth: c.fifo.other, adptImpl: 'shift-register',
    windowDepth: c.fifo.other, macDepth: c.fifo.other,
    stages: { adapterI: st(2, 0, 1), window: st(3, 1, 2), mac: st(5, 2, 4), adapterO: st(4, 1, 2) },
  }, ln, output);
  b.start('select_cls', 'layernorm');
  b.start('layernorm', mm.adapterI);
  b.start(mm.adapterI, mm.window);
  b.start(mm.window, mm.mac);
  b.start(mm.mac, mm.adapterO);
  return b.build(input, inBeats, output, g.numClasses);
}
