import { DIVIDER_DEPTH, processCycles, rsqrtTable, softmaxTables, tokenMergeGeometry, tokenSelectGeometry, weightCacheTiles, RANK_LANES } from '../ir/index.ts';
import type { BlockKind, Process, ProcessKind, Stream } from '../ir/index.ts';
import { MODEL } from './constants.ts';
import {
  adapterCost,
  controlCost,
  datapathCost,
  fifoCost,
  lookupTableCost,
  macArrayCost,
  memoryCost,
  resolveMemoryStyle,
  uramCount,
  type MemoryParams,
  type MemoryStyle,
} from './primitives.ts';
import { add, res, type Resources } from './resources.ts';
import { windowStorage } from './sparse.ts';

/** What a process's cost may depend on beyond its own parameters. */
export interface CostContext {
  blockKind: BlockKind;
  uramAvailable: boolean;
  /** Storage style of dynamic K/V caches; HG-PIPE keeps them in LUTRAM (SPEC §4.1). */
  weightCacheStyle: MemoryStyle;
  /** When given, every memory bound to block RAM is recorded here (the URAM rebinding pass works on this list). */
  memories?: MemoryUse[];
  /** Name of the process being costed (set by the caller, used in `memories`). */
  process?: string;
}

/** A memory that landed in block RAM, with what it would take in UltraRAM instead. */
export interface MemoryUse {
  process: string;
  what: 'weights' | 'table' | 'buffer' | 'fifo';
  depth: number;
  width: number;
  rom: boolean;
  bram: number;
  uram: number;
  lut: number;
}

/** memoryCost, recording BRAM-bound memories in the context. */
function mem(ctx: CostContext, what: MemoryUse['what'], p: MemoryParams): Resources {
  const c = memoryCost({ ...p, uramAvailable: ctx.uramAvailable });
  if (c.style === 'bram' && ctx.memories)
    ctx.memories.push({ process: ctx.process ?? '', what, depth: p.depth, width: p.width, rom: p.rom === true, bram: c.bram, uram: uramCount(p.depth, p.width), lut: c.lut });
  return c;
}

const clog2 = (n: number): number => (n <= 1 ? 0 : Math.ceil(Math.log2(n)));

/**
 * A lookup table read by `lanes` lanes every cycle. Small ones (HG-PIPE's: 32–128 entries) are LUT-ROMs, one per
 * lane; one that the memory rules put in block RAM (a quantized model's 1,024–4,096-entry tables) is a dual-port
 * ROM serving two lanes per copy, recorded so that the binder may move it to UltraRAM.
 */
function tableCost(ctx: CostContext, entries: number, width: number, lanes: number): Resources {
  if (resolveMemoryStyle({ depth: entries, width, rom: true }) !== 'bram') return lookupTableCost(entries, width, lanes);
  const copies = Array.from({ length: Math.ceil(lanes / 2) }, () => mem(ctx, 'table', { depth: entries, width, rom: true }));
  return add(...copies, res({ ff: lanes * width }));
}

/**
 * Which MAC arrays use DSPs. The IR carries no USE_DSP flag, so vitpipe follows HG-PIPE's choice: its 512-MAC 8-bit
 * patch embedding is on DSPs (USE_DSP = true), its 3-bit matmuls and its 4-MAC 8-bit head are LUT-built (the head's
 * 4 synthesized DSPs are its LayerNorm's). Rule: both operands at least 6 bits wide and at least 16 products.
 */
const DSP_MIN_OPERAND_BITS = 6;
const DSP_MIN_PRODUCTS = 16;
export function macUsesDsp(p: Extract<Process, { kind: 'mac' }>): boolean {
  const products = p.shape.tp * p.shape.cop * p.shape.cip;
  return Math.min(p.weightBits, p.inBits) >= DSP_MIN_OPERAND_BITS && products >= DSP_MIN_PRODUCTS;
}

type CostFn<K extends ProcessKind> = (p: Extract<Process, { kind: K }>, ctx: CostContext) => Resources;

/** One cost function per IR process kind; the mapped type makes a missing kind a type error. */
export const PROCESS_COST: { [K in ProcessKind]: CostFn<K> } = {
  'stream-copy': (p) => add(controlCost(processCycles(p)), res({ lut: 2 * p.outputs.length, ff: p.lanes * p.bits })),

  'cls-select': (p) => add(controlCost(processCycles(p)), res({ lut: p.bits, ff: p.bits })),

  adapter: (p) => {
    const wide = p.tp * Math.max(p.cip, p.cop) * p.bits;
    const ways = Math.max(p.cip, p.cop) / Math.min(p.cip, p.cop);
    return add(controlCost(processCycles(p)), adapterCost(wide, p.cip > p.cop ? ways : 1, p.tp * p.cop * p.bits));
  },

  'window-cache': (p, ctx) => {
    const { tp, cip } = p.shape;
    const { bufferDepth, indexRom } = windowStorage(p); // sparse: ping-pong buffer and a replay-order ROM
    const buffer = mem(ctx, 'buffer', { depth: bufferDepth, width: tp * cip * p.bits });
    const index = indexRom ? [mem(ctx, 'table', { ...indexRom, rom: true })] : [];
    return add(controlCost(processCycles(p)), buffer, ...index, datapathCost(tp * cip * p.bits * 0.25));
  },

  mac: (p, ctx) => {
    const { tp, tt, co, cip, cop } = p.shape;
    const useDsp = macUsesDsp(p);
    const { mult, reduce } = macArrayCost({
      products: tp * cop * cip,
      lanes: tp * cop,
      weightBits: p.weightBits,
      actBits: p.inBits,
      accBits: p.accBits,
      useDsp,
    });
    const parts: Resources[] = [controlCost(processCycles(p)), reduce];
    if (p.weights === 'static') {
      parts.push(mem(ctx, 'weights', { depth: p.weightMemory.words, width: p.weightMemory.wordBits, rom: true }));
      // The patch embedding adds a per-token 2-D bias (conv bias + position embedding, SPEC §1.6); others one per channel.
      const biasDepth = ctx.blockKind === 'patch-embed' ? tt * (co / cop) : co / cop;
      const biasWidth = (ctx.blockKind === 'patch-embed' ? tp : 1) * cop * p.accBits;
      parts.push(mem(ctx, 'weights', { depth: biasDepth, width: biasWidth, rom: true }));
    }
    if (p.style === 'free-running') parts.push(memoryCost({ depth: p.frpBuffer, width: tp * cop * p.accBits, style: 'lutram' }));
    // the accumulator output register that adapter_o reads
    parts.push(res({ ff: tp * cop * p.accBits }));
    return add(mult, ...parts);
  },

  'weight-cache': (p, ctx) => {
    const { cip, cop } = p.shape;
    const { words } = weightCacheTiles(p);
    const width = cop * cip * p.bits;
    // HG-PIPE's caches (448 words) are LUTRAM; deeper ones (heads sharing a pipeline, narrow tiles) bind as RAMs do
    const store = words <= MODEL.lutramCacheMaxWords
      ? memoryCost({ depth: words, width, style: ctx.weightCacheStyle })
      : mem(ctx, 'buffer', { depth: words, width });
    return add(controlCost(processCycles(p), 5), store, res({ ff: cop * cip * p.bits }));
  },

  layernorm: (p, ctx) => {
    const lanes = p.tp * p.cp;
    const cb = clog2(p.channels);
    const sumBits = p.inBits + cb;
    const varBits = 2 * p.inBits + cb - 4;
    const affineBits = varBits + 12;
    // per token: two accumulators with their cp-term adder trees, the variance cursor and the rsqrt table
    const perToken = p.cp * (sumBits + varBits) + (varBits + 7);
    // per lane: x − mean, the affine bias add, shift and clamp
    const perLane = p.inBits + 1 + affineBits + 10;
    const rowBuffer = mem(ctx, 'buffer', { depth: p.channels / p.cp, width: lanes * p.inBits });
    const params = mem(ctx, 'table', { depth: p.channels / p.cp, width: p.cp * (12 + affineBits), rom: true });
    const dsp = p.tp * 1 + lanes * 3; // mean = sum·(1/C); diff²; diff·rsqrt·γ (two products)
    const rsqrt = rsqrtTable(p);
    return add(
      controlCost(processCycles(p)),
      datapathCost(p.tp * perToken + lanes * perLane),
      tableCost(ctx, rsqrt.entries, rsqrt.bits, p.tp),
      rowBuffer,
      params,
      res({ dsp }),
    );
  },

  softmax: (p, ctx) => {
    const lanes = p.tp * p.cp;
    const accBits = 16 + clog2(p.keys);
    // per lane: running max, max − x, exp cursor, rounding shift and clamp of exp·recip
    const perLane = p.inBits + (p.inBits + 1) + 8 + 23 + 3;
    // per token: the exp-sum tree and accumulator, two reciprocal cursors and the segment select
    const perToken = p.cp * accBits + 2 * (accBits + 7) + 8 + 23;
    const rowBuffer = mem(ctx, 'buffer', { depth: p.keys / p.cp, width: lanes * p.inBits });
    const { exp, recip } = softmaxTables(p);
    return add(
      controlCost(processCycles(p)),
      datapathCost(p.tp * perToken + lanes * perLane),
      tableCost(ctx, exp.entries, exp.bits, lanes),
      // one reciprocal per token, from one of two segment tables
      ...recip.map((t) => tableCost(ctx, t.entries, t.bits, p.tp)),
      rowBuffer,
      res({ dsp: lanes }), // exp · reciprocal
    );
  },

  requant: (p, ctx) =>
    add(controlCost(processCycles(p)), datapathCost(p.lanes * (p.inBits + 8)), tableCost(ctx, p.tableEntries, p.outBits, p.lanes)),

  'head-split': (p) => add(controlCost(processCycles(p)), res({ lut: p.heads * 2, ff: p.lanes * p.bits })),

  'head-merge': (p) =>
    add(controlCost(processCycles(p)), res({ lut: p.lanes * p.bits * Math.ceil((p.heads - 1) / 3), ff: p.lanes * p.bits })),

  'residual-merge': (p) =>
    // skip · RM + rounding, >> RS, + main: one DSP per lane for the rescale, carry chains for the rest
    add(controlCost(processCycles(p)), datapathCost(p.lanes * (2 * p.bits + 8)), res({ dsp: p.lanes })),

  'reshape-unpack': (p) => add(controlCost(processCycles(p)), res({ lut: p.bits * p.tp, ff: p.tp * p.bits })),

  'reshape-reorder': (p) => {
    const group = lcmOf(p.tip, p.top);
    const banks = p.top * p.cop;
    const bank = memoryCost({ depth: Math.ceil((group * p.headDim) / banks), width: p.bits, style: 'lutram' });
    return add(controlCost(processCycles(p), 5), res({ lut: bank.lut * banks, ff: banks * p.bits * 2 + banks }));
  },

  'score-tap': (p) => add(controlCost(processCycles(p)), res({ lut: 4, ff: p.lanes * p.bits })),

  'token-select': (p, ctx) => {
    const g = tokenSelectGeometry(p);
    if (p.side === 'emit') return add(controlCost(processCycles(p)), res({ lut: clog2(g.slotsOut) + 4, ff: p.tp * p.cpOut * p.bits }));
    const scoreBits = clog2(g.scoreValues);
    const slotBits = clog2(g.slotsOut) + 1;
    // the fused token: Σ s·x per channel over the dropped tokens (|s·x| sums over ≤ slotsIn tokens), and Σ s
    const accBits = p.bits + scoreBits + clog2(g.slotsIn);
    const lanesIn = p.tp * p.cpIn;
    return add(
      controlCost(processCycles(p), 4),
      // the two banks of the ping-pong store, read out at the output width
      mem(ctx, 'buffer', { depth: 2 * g.outBeats, width: p.tp * p.cpOut * p.bits }),
      // summed CLS-row scores and each token's output slot (or dropped)
      mem(ctx, 'buffer', { depth: g.slotsIn, width: scoreBits + slotBits }),
      // score adders (query 0 of each head's beat) and the histogram ranker (a counter per score value)
      datapathCost(p.cpScore * scoreBits * p.heads),
      res({ lut: g.scoreValues * (clog2(g.slotsIn) + 2) + 60, ff: g.scoreValues * clog2(g.slotsIn) + 40 }),
      // bank write steering: a kept token's lanes go to its slot's lane position
      res({ lut: lanesIn * p.bits * 2 }),
      ...(g.fused
        ? [
          mem(ctx, 'buffer', { depth: p.width / p.cpIn, width: p.cpIn * accBits }),
          datapathCost(lanesIn * (accBits + p.bits + scoreBits)),
          // a radix-2 divider, one quotient bit per stage, pipelined over DIVIDER_DEPTH stages
          res({ lut: DIVIDER_DEPTH * (accBits + 2), ff: DIVIDER_DEPTH * 2 * accBits }),
        ]
        : []),
    );
  },

  'token-merge': (p, ctx) => {
    const g = tokenMergeGeometry(p);
    const metricBits = p.keyBits + clog2(p.heads);
    const dotBits = 2 * metricBits + clog2(p.headDim);
    const slotBits = clog2(g.slotsOut) + 1;
    // size·x summed over a merged slot's rows: |x| · Σ size ≤ |x| · tokensIn
    const accBits = p.bits + p.sizeBits + 1;
    switch (p.side) {
      case 'keys':
        return add(
          controlCost(processCycles(p)),
          // the two banks of the head-summed key metric (read simLanes elements at a time) and the squared norms
          mem(ctx, 'buffer', { depth: 2 * g.slotsIn * (p.headDim / p.simLanes), width: p.simLanes * metricBits }),
          mem(ctx, 'buffer', { depth: 2 * g.slotsIn, width: dotBits }),
          datapathCost(p.tp * p.cpKey * (metricBits + dotBits)),
        );
      case 'match':
        return add(
          controlCost(processCycles(p), 5),
          // per A row its best partner and cosine (dot, partner norm); the two plan banks (each row's output slot)
          mem(ctx, 'buffer', { depth: g.slotsIn, width: 3 * dotBits + clog2(g.slotsIn) }),
          mem(ctx, 'buffer', { depth: 2 * g.slotsIn, width: slotBits }),
          // the dot-product lanes and their adder tree
          res({ lut: p.simLanes * metricBits * metricBits + p.simLanes * dotBits, ff: p.simLanes * dotBits }),
          // exact cosine comparators (two dot²·norm products of ≈ 2·dotBits bits, 2 DSPs each): the similarity and the
          // rank loops run one after the other and share them
          res({ dsp: 4 * RANK_LANES, lut: RANK_LANES * 6 * dotBits }),
        );
      case 'gather':
        return add(
          controlCost(processCycles(p), 4),
          // token sizes, then the two image banks of accumulators (size·x sums; read out at the output width)
          mem(ctx, 'buffer', { depth: 2 * g.slotsIn, width: p.sizeBits }),
          mem(ctx, 'buffer', { depth: 2 * g.outBeats, width: p.tp * p.cpOut * accBits }),
          datapathCost(p.tp * p.cpIn * (accBits + p.sizeBits)),
          res({ lut: p.tp * p.cpIn * p.bits * 2 }),
        );
      case 'emit':
        // tp·cpOut radix-2 dividers, one quotient bit per stage, pipelined over DIVIDER_DEPTH stages
        return add(
          controlCost(processCycles(p)),
          res({ lut: clog2(g.slotsOut) + 4 + p.tp * p.cpOut * DIVIDER_DEPTH * (accBits + 2), ff: p.tp * p.cpOut * (p.bits + DIVIDER_DEPTH * 2 * accBits) }),
        );
    }
  },
};

function lcmOf(a: number, b: number): number {
  const g = (x: number, y: number): number => (y === 0 ? x : g(y, x % y));
  return (a / g(a, b)) * b;
}

export function processCost(p: Process, ctx: CostContext): Resources {
  return (PROCESS_COST[p.kind] as (p: Process, ctx: CostContext) => Resources)(p, { ...ctx, process: p.name });
}

/** A stream's FIFO, following the IR's implementation choice. */
export function streamCost(s: Stream, uramAvailable: boolean, memories?: MemoryUse[]): Resources {
  const width = s.lanes * s.bits;
  if (s.impl === 'shift-register') {
    const c = fifoCost(Math.min(s.depth, 2), width);
    if (s.depth <= 2) return c;
    return res({ lut: MODEL.fifoControlLut + Math.ceil(s.depth / 32) * width, ff: MODEL.fifoControlFf });
  }
  const c = fifoCost(Math.max(s.depth, 3), width, uramAvailable);
  if (c.impl === 'bram' && memories)
    memories.push({ process: s.name, what: 'fifo', depth: s.depth, width, rom: false, bram: c.bram, uram: uramCount(s.depth, width), lut: 0 });
  return c;
}
