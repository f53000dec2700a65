import { shapeOf, type ViTConfig } from '../model/index.ts';
import {
  HGPIPE_ATTN,
  HGPIPE_HEAD,
  HGPIPE_MLP,
  HGPIPE_PATCH_EMBED,
  canSplitHeads,
  type BlockKind,
  type MatmulPar,
} from '../ir/index.ts';
import { paddedTokens, TP, type KindConfigs } from './assemble.ts';

/**
 * The planner's design space: for each block kind a few knobs (one per parallel stage), each with discrete options.
 * Every option knows its own cycles per image; compatibility between knobs (the adapters between stages need
 * integer width ratios) is checked by `compatible`.
 */
export type KnobName =
  | 'softmaxCp' | 'qkv' | 'qk' | 'rv' | 'o' // attention
  | 'geluCp' | 'fc1' | 'fc2' // MLP (geluCp: the activation's channels per beat, GELU or ReLU)
  | 'pe' // patch embedding
  | 'fc'; // head

export type KnobValue = number | MatmulPar;

export interface KnobOption {
  value: KnobValue;
  /** Cycles per image of the stage this knob sets (analytic, exit slot included). */
  cycles: number;
}

export interface Knob {
  name: KnobName;
  kind: BlockKind;
  /** Process names this knob drives (for its cycle check and for "which stage to shrink" answers). */
  processes: RegExp;
  options: KnobOption[];
}

export const divisors = (n: number): number[] => {
  const out: number[] = [];
  for (let d = 1; d <= n; d++) if (n % d === 0) out.push(d);
  return out;
};

/** Two lane counts an adapter can convert between. */
export const ratioOk = (a: number, b: number): boolean => Math.max(a, b) % Math.min(a, b) === 0;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const lcm = (a: number, b: number): number => (a / gcd(a, b)) * b;

export interface Geometry {
  tokens: number;
  tt: number;
  width: number;
  heads: number;
  headDim: number;
  hidden: number;
  patchElements: number;
  classes: number;
}

export function geometryOf(model: ViTConfig): Geometry {
  const s = shapeOf(model);
  const tokens = paddedTokens(model);
  return {
    tokens,
    tt: tokens / TP,
    width: model.width,
    heads: model.heads,
    headDim: s.headDim,
    hidden: s.mlpHidden,
    patchElements: s.patchElements,
    classes: model.numClasses,
  };
}

/**
 * Options no faster than the interval floor needs, plus the slowest ones below it (the cheapest way to meet any
 * interval the rest of the design can reach); faster ones would only waste area.
 */
function keepUseful(all: KnobOption[], floor: number): KnobOption[] {
  const slow = all.filter((o) => o.cycles >= floor * 0.9);
  const fast = all.filter((o) => o.cycles < floor * 0.9);
  const edge = Math.max(...fast.map((o) => o.cycles));
  return [...slow, ...fast.filter((o) => o.cycles === edge)];
}

/** Matmul options: every (cip, cop) dividing (ci, co), with its cycles per image. */
function matmulOptions(rows: number, ci: number, co: number): KnobOption[] {
  const out: KnobOption[] = [];
  for (const cip of divisors(ci))
    for (const cop of divisors(co)) out.push({ value: { cip, cop }, cycles: rows * (co / cop) * (ci / cip) + 1 });
  return out;
}

/** Three-pass operators (softmax) and element-wise stages: cycles = passes · rows · length / cp. */
function cpOptions(n: number, cyclesOf: (cp: number) => number): KnobOption[] {
  return divisors(n).map((cp) => ({ value: cp, cycles: cyclesOf(cp) }));
}

/**
 * Every option of every knob of a geometry with its cycles per image, unfiltered: the one place that knows how each
 * knob's parallelism sets its stage's cycles (the planner keeps the useful ones, the pruned planner its own window).
 * With `headsPerUnit` k heads share one attention pipeline: QKᵀ, softmax and R·V run k rows per token pair.
 */
export function allKnobOptions(g: Geometry, headsPerUnit = 1): Record<KnobName, KnobOption[]> {
  const { tt, tokens, width, headDim, hidden } = g;
  const rows = tt * headsPerUnit;
  return {
    softmaxCp: cpOptions(tokens, (cp) => rows * 3 * (tokens / cp) + 1),
    geluCp: cpOptions(hidden, (cp) => (tt * hidden) / cp + 1),
    qkv: matmulOptions(tt, width, width),
    o: matmulOptions(tt, width, width),
    // QKᵀ: cip over the head dimension, cop over keys; its cache replays after a fill of all tiles
    qk: matmulOptions(rows, headDim, tokens),
    rv: matmulOptions(rows, tokens, headDim),
    fc1: matmulOptions(tt, width, hidden),
    fc2: matmulOptions(tt, hidden, width),
    pe: matmulOptions(tt, g.patchElements, width),
    fc: matmulOptions(1, width, g.classes),
  };
}

/**
 * The shortest interval any design of this model can reach with stream width lnCp: stages the planner does not
 * scale (the II = 2 K/V serialisers, one element per cycle, of every head of a unit; the residual-stream stages at
 * lnCp channels per beat).
 */
export function intervalFloor(g: Geometry, lnCp: number, headsPerUnit = 1): number {
  const serialiser = 2 * g.tokens * g.headDim * headsPerUnit + 1;
  const streamStage = (g.tt * g.width) / lnCp + 1;
  const layerNorm = g.tt * 3 * (g.width / lnCp) + 1;
  return Math.max(serialiser, streamStage, layerNorm);
}

export function knobsFor(g: Geometry, lnCp: number, headsPerUnit = 1): Knob[] {
  const floor = intervalFloor(g, lnCp, headsPerUnit);
  const all = allKnobOptions(g, headsPerUnit);
  const knob = (name: KnobName, kind: BlockKind, processes: RegExp): Knob => ({ name, kind, processes, options: keepUseful(all[name], floor) });
  return [
    knob('softmaxCp', 'attn', /^softmax\d+$/),
    knob('qkv', 'attn', /^[qkv]\.(adapter_i|cache_window|mac|adapter_o)$/),
    knob('o', 'attn', /^o\./),
    knob('qk', 'attn', /^(qk\d+\.|k\d+\.)/),
    knob('rv', 'attn', /^(rv\d+\.|v\d+\.)/),
    knob('geluCp', 'mlp', /^(gelu|relu)$/),
    knob('fc1', 'mlp', /^m1\./),
    knob('fc2', 'mlp', /^m2\./),
    knob('pe', 'patch-embed', /^pe\./),
    knob('fc', 'head', /^fc\./),
  ];
}

export type Choice = Partial<Record<KnobName, KnobValue>>;

/** Whether a knob value works with the stream width and the knobs already chosen (adapters, reshapers). */
export function compatible(g: Geometry, lnCp: number, knob: KnobName, v: KnobValue, chosen: Choice): boolean {
  const m = v as MatmulPar;
  const sm = chosen.softmaxCp as number | undefined;
  const ge = chosen.geluCp as number | undefined;
  switch (knob) {
    case 'softmaxCp':
      // the IR's attention builder gives r_head/rq_head the stream width's lanes, so the softmax runs at lnCp
      return v === lnCp;
    case 'geluCp':
      return true;
    case 'qkv':
    case 'o':
      return ratioOk(m.cip, lnCp) && ratioOk(m.cop, lnCp);
    case 'qk':
      return ratioOk(m.cip, lnCp) && sm !== undefined && ratioOk(m.cop, sm) && g.tokens % lcm(TP, m.cop) === 0;
    case 'rv':
      return sm !== undefined && ratioOk(m.cip, sm) && ratioOk(m.cop, lnCp) && g.tokens % lcm(TP, m.cip) === 0;
    case 'fc1':
      return ratioOk(m.cip, lnCp) && ge !== undefined && ratioOk(m.cop, ge);
    case 'fc2':
      return ge !== undefined && ratioOk(m.cip, ge) && ratioOk(m.cop, lnCp);
    case 'pe':
      return ratioOk(m.cip, HGPIPE_PATCH_EMBED.inCp) && ratioOk(m.cop, lnCp);
    case 'fc':
      return true;
  }
}

/** Stream widths (channels per beat of the residual stream) worth trying. */
export function lnCpOptions(g: Geometry): number[] {
  return [1, 2, 4].filter((c) => g.width % c === 0 && g.headDim % c === 0);
}

/**
 * Heads per attention pipeline worth trying: every divisor of the head count. One pipeline per head (1) is the
 * fastest; sharing trades the attention stages' cycles for their per-head hardware (small devices, many heads).
 */
export function headUnitOptions(g: Geometry): number[] {
  return divisors(g.heads).filter((k) => canSplitHeads(g.heads / k));
}

/**
 * A complete set of block configurations from a choice. FIFO depths follow HG-PIPE's, with the two whole-image
 * buffers of the hybrid pipeline (per-head Q waiting for all of K, the attention residual) scaled by the beats of
 * one image at this stream width, with HG-PIPE's own margin (8,000 / 6,272 and 12,288 / 9,408, ≈ 1.3).
 */
export function configsOf(g: Geometry, lnCp: number, c: Required<Choice>, model: ViTConfig, headsPerUnit = 1): KindConfigs {
  const k = headsPerUnit;
  const qBeats = (g.tt * g.headDim * k) / lnCp;
  const resiBeats = (g.tt * g.width) / (2 * lnCp);
  const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;
  const q = model.quant;
  // A static matmul's window takes a token pair's whole input row at once (cot = 0) while its producer writes
  // steadily: the adapter FIFO in front must hold one row of packed beats (ci / cip), or the producer stalls.
  const row = (ci: number, m: KnobValue) => ci / (m as MatmulPar).cip;
  const attnAdpt = Math.max(HGPIPE_ATTN.fifo.adpt, row(g.width, c.qkv), row(g.width, c.o));
  const mlpAdpt = Math.max(HGPIPE_MLP.fifo.adpt, row(g.width, c.fc1), row(g.hidden, c.fc2));
  return {
    patchEmbed: { ...HGPIPE_PATCH_EMBED, tp: TP, mac: c.pe as MatmulPar, outCp: lnCp, inBits: q.embedBits, outBits: q.residualBits },
    attn: {
      ...HGPIPE_ATTN,
      tp: TP,
      lnCp,
      qkv: c.qkv as MatmulPar,
      qk: c.qk as MatmulPar,
      rv: c.rv as MatmulPar,
      o: c.o as MatmulPar,
      softmaxCp: c.softmaxCp as number,
      ...(k > 1 ? { headsPerUnit: k } : {}),
      fifo: {
        ...HGPIPE_ATTN.fifo,
        projAdpt: attnAdpt,
        qqHead: roundUp(qBeats * 1.28, 64),
        resi: roundUp(resiBeats * 1.31, 64),
        // the next image's K/V tiles wait here while the cache replays the current one: at least one image of tiles
        kqReshape: Math.max(512, roundUp(k * tilesOf(c.qk as MatmulPar, g.headDim, g.tokens) * 1.15, 64)),
        vqTranspose: Math.max(512, roundUp(k * tilesOf(c.rv as MatmulPar, g.tokens, g.headDim) * 1.15, 64)),
      },
      inBits: q.residualBits,
      outBits: q.residualBits,
    },
    mlp: {
      ...HGPIPE_MLP,
      tp: TP,
      lnCp,
      fc1: c.fc1 as MatmulPar,
      geluCp: c.geluCp as number,
      fc2: c.fc2 as MatmulPar,
      fifo: { ...HGPIPE_MLP.fifo, adpt: mlpAdpt },
      inBits: q.residualBits,
      outBits: q.residualBits,
    },
    head: { ...HGPIPE_HEAD, tp: TP * lnCp, mac: c.fc as MatmulPar, inBits: q.residualBits },
    linkDepth: 128,
  };
}

const tilesOf = (m: MatmulPar, ci: number, co: number) => (ci / m.cip) * (co / m.cop);

/** HG-PIPE's own choice, as a planner choice (for comparisons and the reference configuration). */
export const HGPIPE_CHOICE: Required<Choice> = {
  softmaxCp: HGPIPE_ATTN.softmaxCp,
  qkv: HGPIPE_ATTN.qkv,
  qk: HGPIPE_ATTN.qk,
  rv: HGPIPE_ATTN.rv,
  o: HGPIPE_ATTN.o,
  geluCp: HGPIPE_MLP.geluCp,
  fc1: HGPIPE_MLP.fc1,
  fc2: HGPIPE_MLP.fc2,
  pe: HGPIPE_PATCH_EMBED.mac,
  fc: HGPIPE_HEAD.mac,
};
