import { MODEL } from './constants.ts';
import { res, type Resources } from './resources.ts';

/**
 * Resource formulas for the building blocks every process is made of. Pure functions of typed parameters; fabric
 * geometry comes from the AMD architecture manuals (UltraScale+ UG573/UG574, Versal AM005/AM007), the free
 * constants from `constants.ts`.
 */

const clog2 = (n: number): number => (n <= 1 ? 1 : Math.ceil(Math.log2(n)));

export type MemoryStyle = 'auto' | 'register' | 'srl' | 'lutram' | 'bram' | 'uram';
export type ResolvedMemoryStyle = Exclude<MemoryStyle, 'auto'>;

export interface MemoryParams {
  depth: number;
  /** Bits per word (all lanes of one access). */
  width: number;
  style?: MemoryStyle;
  /** A ROM needs no write port (LUT-ROM instead of LUTRAM). */
  rom?: boolean;
  /** Whether UltraRAM exists on the device and may be chosen by `auto`. */
  uramAvailable?: boolean;
}

/** Simple-dual-port aspect ratios of one 18-Kb block RAM half (UG573 / AM007): depth × width. */
const BRAM18_SHAPES: ReadonlyArray<readonly [number, number]> = [
  [512, 36], [1024, 18], [2048, 9], [4096, 4], [8192, 2], [16384, 1],
];

/** 18-Kb halves needed for depth × width, choosing the best aspect ratio (cascading in depth, tiling in width). */
export function bram18Count(depth: number, width: number): number {
  return bram18Layout(depth, width).halves;
}

/** Best BRAM tiling and how many blocks deep it cascades (each extra level needs a read multiplexer). */
export function bram18Layout(depth: number, width: number): { halves: number; deep: number } {
  if (depth <= 0 || width <= 0) return { halves: 0, deep: 0 };
  // Vivado prefers deep aspect ratios over long depth cascades (each level adds a read mux): weigh levels at 2 %.
  let best = { halves: Infinity, deep: 0, score: Infinity };
  for (const [d, w] of BRAM18_SHAPES) {
    const deep = Math.ceil(depth / d);
    const halves = deep * Math.ceil(width / w);
    const score = halves * (1 + 0.02 * (deep - 1));
    if (score < best.score) best = { halves, deep, score };
  }
  return { halves: best.halves, deep: best.deep };
}

/** UltraRAM: 4K × 72 per 288-Kb block (UG573 / AM007). */
export function uramCount(depth: number, width: number): number {
  if (depth <= 0 || width <= 0) return 0;
  return Math.ceil(depth / 4096) * Math.ceil(width / 72);
}

/** LUTs of a 2:1..n:1 read multiplexer per bit, built from LUT6 4:1 muxes (plus F7/F8 muxes, not counted). */
function muxLuts(ways: number, width: number): number {
  return ways <= 1 ? 0 : width * Math.ceil((ways - 1) / 3);
}

/**
 * Distributed RAM: a RAM64M8 (8 LUTs) holds 64 × 7 bits simple-dual-port; a ROM uses LUT6s as 64 × 1 ROMs
 * (UG574 / AM005). Deeper arrays tile 64-deep slices behind a read multiplexer.
 */
export function lutramLuts(depth: number, width: number, rom = false): number {
  const slices = Math.ceil(depth / 64);
  const storage = rom ? slices * width : slices * Math.ceil(width / 7) * 8;
  return storage + muxLuts(slices, width);
}

export function resolveMemoryStyle(p: MemoryParams): ResolvedMemoryStyle {
  const style = p.style ?? 'auto';
  if (style !== 'auto') return style;
  const bits = p.depth * p.width;
  if (p.depth <= 2) return 'register';
  if (p.depth <= MODEL.lutramMaxDepth || bits <= MODEL.lutramMaxBits) return 'lutram';
  // Deep RAMs that fill at least half a URAM column go to UltraRAM, as HG-PIPE binds its 12,288-deep residual FIFO.
  // ROMs never do: UltraScale+ URAM has no initial contents, and HG-PIPE's synthesized blocks keep all ROMs in BRAM.
  if (!p.rom && p.uramAvailable && p.depth >= 4096 && bits >= (4096 * 72) / 2) return 'uram';
  return 'bram';
}

/** Storage of an array (weights, tables, buffers) with one read and one write port. */
export function memoryCost(p: MemoryParams): Resources & { style: ResolvedMemoryStyle } {
  const style = resolveMemoryStyle(p);
  const { depth, width } = p;
  if (depth <= 0 || width <= 0) return { ...res({}), style };
  switch (style) {
    case 'register':
      return { ...res({ ff: depth * width, lut: muxLuts(depth, width) }), style };
    case 'srl':
      return { ...res({ lut: Math.ceil(depth / 32) * width, ff: width }), style };
    case 'lutram':
      return { ...res({ lut: lutramLuts(depth, width, p.rom), ff: width }), style };
    case 'bram': {
      const { halves, deep } = bram18Layout(depth, width);
      return { ...res({ bram: halves / 2, ff: width, lut: muxLuts(deep, width) }), style };
    }
    case 'uram':
      return { ...res({ uram: uramCount(depth, width), ff: width }), style };
  }
}

export type FifoStorage = 'register' | 'srl' | 'lutram' | 'bram' | 'uram';

/**
 * An HLS stream FIFO. Small ones (depth·width ≤ srlFifoMaxBits, and every depth ≤ 2) are shift-register `_S` FIFOs;
 * the rest are memory `_A` FIFOs whose RAM follows the array rules (LUTRAM when shallow, URAM when deep and wide).
 */
export function fifoCost(depth: number, width: number, uramAvailable = true): Resources & { impl: FifoStorage } {
  const ctrl = { lut: MODEL.fifoControlLut + clog2(depth), ff: MODEL.fifoControlFf + clog2(depth) };
  if (depth <= 2) return { ...res({ lut: ctrl.lut + width, ff: ctrl.ff + depth * width }), impl: 'register' };
  if (depth * width <= MODEL.srlFifoMaxBits)
    return { ...res({ lut: ctrl.lut + Math.ceil(depth / 32) * width, ff: ctrl.ff }), impl: 'srl' };
  const mem = memoryCost({ depth, width, uramAvailable });
  const impl: FifoStorage = mem.style === 'register' || mem.style === 'srl' ? 'lutram' : mem.style;
  return {
    lut: mem.lut + ctrl.lut + MODEL.memFifoControlLut + 2 * clog2(depth),
    ff: mem.ff + ctrl.ff + 2 * clog2(depth),
    dsp: 0,
    bram: mem.bram,
    uram: mem.uram,
    impl,
  };
}

export interface MacArrayParams {
  /** Multiplications per cycle (tokens × output channels × input channels in parallel). */
  products: number;
  /** Independent dot products per cycle (tokens × output channels); each sums products / lanes terms. */
  lanes: number;
  weightBits: number;
  actBits: number;
  accBits: number;
  /** Multiplier implementation: LUTs (HG-PIPE's USE_DSP = false) or DSP slices. */
  useDsp: boolean;
}

/**
 * A MAC array: `products` multipliers, an adder tree per lane reducing products/lanes terms, and an accumulator per
 * lane. Adder tree and accumulator are carry chains; the multipliers are LUTs or DSPs. On DSPs the post-adder
 * (P = A·B + C) absorbs the tree's first level, and with one term per lane the accumulator itself (P = P + A·B).
 */
export function macArrayCost(p: MacArrayParams): { mult: Resources; reduce: Resources } {
  const pw = p.weightBits + p.actBits;
  const terms = Math.max(1, Math.round(p.products / p.lanes));
  // adder tree: terms−1 adders per lane, width growing by one bit per level from the product width
  let treeBits = 0;
  let n = terms;
  let w = pw + 1;
  let level = 0;
  while (n > 1) {
    const adders = Math.floor(n / 2);
    if (!(p.useDsp && level === 0)) treeBits += adders * Math.min(w, p.accBits);
    n -= adders;
    w += 1;
    level += 1;
  }
  const accLut = p.useDsp && terms === 1 ? 0 : p.accBits;
  const reduceLut = p.lanes * (treeBits + accLut) * MODEL.lutPerAdderBit;
  const reduce = res({ lut: reduceLut, ff: reduceLut * MODEL.ffPerDatapathLut });
  const mult = p.useDsp
    ? res({ dsp: p.products * MODEL.dspPerMac })
    : res({ lut: p.products * p.weightBits * p.actBits * MODEL.lutPerProductBit });
  return { mult, reduce };
}

/** A lookup table replicated per lane (each lane needs its own read port), in LUT-ROM. */
export function lookupTableCost(entries: number, width: number, lanes: number): Resources {
  return res({ lut: lanes * lutramLuts(entries, width, true), ff: lanes * width });
}

/** Generic datapath logic of `bits` adder/comparator/clamp bits, with HLS's overhead and pipeline registers. */
export function datapathCost(bits: number): Resources {
  const lut = bits * MODEL.lutPerAdderBit * MODEL.datapathOverhead;
  return res({ lut, ff: lut * MODEL.ffPerDatapathLut });
}

/**
 * One process's control: handshakes and stall logic (a fixed part) plus its loop counters, whose width follows the
 * iterations per image (the flattened index and the per-dimension counters it is decoded into).
 */
export function controlCost(iterations: number, fsmStates = 0): Resources {
  const counterBits = clog2(Math.max(2, iterations));
  return res({
    lut: MODEL.controlLut + MODEL.controlLutPerCounterBit * counterBits + 4 * fsmStates,
    ff: MODEL.controlFf + MODEL.controlFfPerCounterBit * counterBits + fsmStates,
  });
}

/** A word-width converter holding `registerBits` and selecting among `ways` sub-words. */
export function adapterCost(registerBits: number, ways: number, outBits: number): Resources {
  return res({ ff: registerBits, lut: muxLuts(ways, outBits) + outBits * 0.25 });
}
