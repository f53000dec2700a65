import { type BlockBuilder, accBits } from './block-builder.ts';
import type { MatmulShape, Stages } from './types.ts';

export interface MatmulStages {
  adapterI: Stages;
  window: Stages;
  mac: Stages;
  adapterO: Stages;
}

export interface MatmulSpec {
  prefix: string;
  origin: string;
  shape: MatmulShape;
  /** Channels per token in one beat of the input / output stream (the adapters convert to cip / from cop). */
  inCp: number;
  outCp: number;
  inBits: number;
  weightBits: number;
  /** Accumulator width (default: the worst case for ci products, `accBits`). */
  accBits?: number;
  style: 'stall-all' | 'free-running';
  frpBuffer?: number;
  stages: MatmulStages;
  /** Depth and implementation of the adapter FIFO, window FIFO and MAC output FIFO. */
  adptDepth: number;
  adptImpl?: 'shift-register' | 'memory';
  windowDepth: number;
  macDepth: number;
}

/**
 * A static-weight matmul as HG-PIPE builds it: adapter_i (pack to cip) → cache_window → mac → adapter_o (unpack to
 * outCp). Returns the process names; the caller wires start edges into `adapterI` (the region's input process).
 */
export function addStaticMatmul(b: BlockBuilder, m: MatmulSpec, input: string, output: string) {
  const { tt, tp, ci, co, cip, cop } = m.shape;
  const acc = m.accBits ?? accBits(m.inBits, m.weightBits, ci);
  const adpt = b.stream(`${m.prefix}.adpt`, tp * cip, m.inBits, m.adptDepth, m.adptImpl ?? 'memory');
  const win = b.stream(`${m.prefix}.window`, tp * cip, m.inBits, m.windowDepth, 'shift-register');
  const macOut = b.stream(`${m.prefix}.mac_out`, tp * cop, acc, m.macDepth, 'shift-register');
  const names = {
    adapterI: `${m.prefix}.adapter_i`,
    window: `${m.prefix}.cache_window`,
    mac: `${m.prefix}.mac`,
    adapterO: `${m.prefix}.adapter_o`,
  };
  b.add({ kind: 'adapter', name: names.adapterI, origin: m.origin, inputs: [input], outputs: [adpt], tt, tp, channels: ci, cip: m.inCp, cop: cip, bits: m.inBits, stages: m.stages.adapterI });
  b.add({ kind: 'window-cache', name: names.window, origin: m.origin, inputs: [adpt], outputs: [win], shape: m.shape, bits: m.inBits, stages: m.stages.window });
  b.add({
    kind: 'mac', name: names.mac, origin: m.origin, inputs: [win], outputs: [macOut], shape: m.shape, weights: 'static',
    style: m.style, frpBuffer: m.frpBuffer ?? 0, inBits: m.inBits, weightBits: m.weightBits, accBits: acc,
    weightMemory: { words: (ci / cip) * (co / cop), wordBits: cip * cop * m.weightBits }, stages: m.stages.mac,
  });
  b.add({ kind: 'adapter', name: names.adapterO, origin: m.origin, inputs: [macOut], outputs: [output], tt, tp, channels: co, cip: cop, cop: m.outCp, bits: acc, stages: m.stages.adapterO });
  return { ...names, accBits: acc };
}
