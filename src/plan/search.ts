import type { ViTConfig } from '../model/index.ts';
import { processCycles, validateBlock, type Block, type BlockKind, type MatmulPar } from '../ir/index.ts';
import { DESIGN_BINDING, estimateBlock, fifoCost, rebindToUram, type Device, type PlacedMemory, type Resources, RESOURCE_KEYS, add, scale, sizeOn } from '../cost/index.ts';
import { assembleBlock, distinctBlocks, type KindConfigs } from './assemble.ts';
import {
  compatible, configsOf, geometryOf, headUnitOptions, HGPIPE_CHOICE, intervalFloor, knobsFor, lnCpOptions,
  type Choice, type Geometry, type Knob, type KnobName, type KnobOption,
} from './space.ts';

/** One evaluated point of the design space: a complete choice, its analytic interval and resources. */
export interface Candidate {
  lnCp: number;
  /** Heads sharing one attention pipeline (1: one per head). */
  headsPerUnit: number;
  choice: Required<Choice>;
  configs: KindConfigs;
  /** Analytic steady interval (slowest process, cycles per image) and where it is. */
  interval: number;
  bottleneck: { block: BlockKind; process: string };
  resources: Resources;
  /**
   * Per distinct block structure: one block's resources and how many blocks of the design share it (a zoo model:
   * one per kind; a quantized folder's blocks differ in widths and input requantizers).
   */
  perKind: Array<{ kind: BlockKind; count: number; block: Block; resources: Resources }>;
  fits: boolean;
  /** Memories the estimate moved from BRAM to URAM to fit (see cost/binding.ts). */
  movedToUram: PlacedMemory[];
  /** Every memory bound to BRAM before that move (for "which buffer is too big" answers). */
  memories: PlacedMemory[];
}

export interface SearchOptions {
  /** Fraction of each device resource the design may use (1 = all of it). */
  maxUtilization: number;
  onProgress?: (done: number, total: number, detail: string) => void;
}

const KNOB_ORDER: KnobName[] = ['softmaxCp', 'geluCp', 'qkv', 'o', 'qk', 'rv', 'fc1', 'fc2', 'pe', 'fc'];

interface PricedOption extends KnobOption {
  cost: number;
}

/** The design space of one stream width and head sharing with every knob option priced (one block build each). */
interface Space {
  lnCp: number;
  headsPerUnit: number;
  knobs: Array<Omit<Knob, 'options'> & { options: PricedOption[] }>;
  floor: number;
}

function priceSpace(model: ViTConfig, g: Geometry, lnCp: number, headsPerUnit: number, device: Device): Space {
  const knobs = knobsFor(g, lnCp, headsPerUnit);
  const ref = configsOf(g, lnCp, referenceChoice(g, lnCp), model, headsPerUnit);
  const priced = knobs.map((k) => ({
    ...k,
    options: k.options.map((o) => {
      const cfg = configsOf(g, lnCp, { ...referenceChoice(g, lnCp), [k.name]: o.value } as Required<Choice>, model, headsPerUnit);
      const block = assembleBlock(model, { ...ref, ...pick(cfg, k.kind) }, k.kind);
      return { ...o, cost: sizeOn(estimateBlock(block, device).resources, device.capacity) };
    }),
  }));
  return { lnCp, headsPerUnit, knobs: priced, floor: intervalFloor(g, lnCp, headsPerUnit) };
}

function pick(cfg: KindConfigs, kind: BlockKind): Partial<KindConfigs> {
  if (kind === 'attn') return { attn: cfg.attn };
  if (kind === 'mlp') return { mlp: cfg.mlp };
  if (kind === 'patch-embed') return { patchEmbed: cfg.patchEmbed };
  return { head: cfg.head };
}

/** A reference choice that builds for this geometry (costs of one knob are compared with the others held here). */
function referenceChoice(g: Geometry, lnCp: number): Required<Choice> {
  const fit = (m: MatmulPar, ci: number, co: number): MatmulPar => ({
    cip: ci % m.cip === 0 ? m.cip : 1,
    cop: co % m.cop === 0 ? m.cop : 1,
  });
  return {
    ...HGPIPE_CHOICE,
    softmaxCp: 1,
    qkv: fit(HGPIPE_CHOICE.qkv as MatmulPar, g.width, g.width),
    o: fit(HGPIPE_CHOICE.o as MatmulPar, g.width, g.width),
    qk: fit(HGPIPE_CHOICE.qk as MatmulPar, g.headDim, g.tokens),
    rv: fit(HGPIPE_CHOICE.rv as MatmulPar, g.tokens, g.headDim),
    fc1: fit(HGPIPE_CHOICE.fc1 as MatmulPar, g.width, g.hidden),
    fc2: fit(HGPIPE_CHOICE.fc2 as MatmulPar, g.hidden, g.width),
    pe: fit(HGPIPE_CHOICE.pe as MatmulPar, g.patchElements, g.width),
    fc: fit(HGPIPE_CHOICE.fc as MatmulPar, g.width, g.classes),
    geluCp: lnCp,
  };
}

/** The cheapest choice whose every knob meets `target` cycles, trying the stream-width-like knobs in cost order. */
function chooseFor(space: Space, g: Geometry, target: number): Required<Choice> | undefined {
  const byName = new Map(space.knobs.map((k) => [k.name, k]));
  const ok = (name: KnobName, chosen: Choice): PricedOption[] =>
    (byName.get(name)!.options as PricedOption[])
      .filter((o) => o.cycles <= target && compatible(g, space.lnCp, name, o.value, chosen))
      .sort((a, b) => a.cost - b.cost);
  return pickChoice(ok);
}

/**
 * Given `ok(knob, chosen so far)` = the feasible options of a knob, cheapest first, choose every knob: the width-like
 * knobs first (softmaxCp constrains QKᵀ and R·V, geluCp constrains fc1 and fc2: take the cheapest value that leaves
 * both feasible), then the rest in KNOB_ORDER. Undefined when some knob has no feasible option.
 */
export function pickChoice(ok: (name: KnobName, chosen: Choice) => PricedOption[]): Required<Choice> | undefined {
  const chosen: Choice = {};
  for (const [lead, deps] of [['softmaxCp', ['qk', 'rv']], ['geluCp', ['fc1', 'fc2']]] as const) {
    const found = ok(lead, chosen).find((o) => deps.every((d) => ok(d, { ...chosen, [lead]: o.value }).length > 0));
    if (!found) return undefined;
    chosen[lead] = found.value;
  }
  for (const name of KNOB_ORDER) {
    if (chosen[name] !== undefined) continue;
    const best = ok(name, chosen)[0];
    if (!best) return undefined;
    chosen[name] = best.value;
  }
  return chosen as Required<Choice>;
}

/** Build the blocks of a choice (one per distinct structure) and total them: all transformer layers share one configuration. */
export function evaluate(model: ViTConfig, g: Geometry, lnCp: number, choice: Required<Choice>, device: Device, maxUtil: number, headsPerUnit = 1): Candidate {
  const configs = configsOf(g, lnCp, choice, model, headsPerUnit);
  const memories: PlacedMemory[] = [];
  const distinct = distinctBlocks(model, configs);
  const perKind = distinct.map(({ kind, count, block }) => {
    validateBlock(block);
    const e = estimateBlock(block, device);
    for (const m of e.memories) memories.push({ ...m, block: kind, count });
    return { kind, count, block, resources: e.resources };
  });
  let interval = 0;
  let bottleneck = { block: 'attn' as BlockKind, process: '' };
  for (const pk of perKind)
    for (const p of pk.block.processes) {
      const c = processCycles(p);
      if (c > interval) [interval, bottleneck] = [c, { block: pk.kind, process: p.name }];
    }
  // FIFOs between blocks: every block's output stream but the head's (the residual stream, TP·lnCp lanes)
  const uram = device.capacity.uram > 0;
  const links = model.hardware
    ? add(...distinct.filter((d) => d.kind !== 'head').map((d) => scale(fifoCost(configs.linkDepth, outputWidth(d.block), uram), d.count)))
    : scale(fifoCost(configs.linkDepth, 2 * lnCp * model.quant.residualBits, uram), 2 * model.depth + 1);
  const raw = add(links, ...perKind.map((p) => scale(p.resources, p.count)));
  const { moved, resources } = rebindToUram(raw, memories, device, maxUtil, DESIGN_BINDING);
  const fits = RESOURCE_KEYS.every((k) => resources[k] <= device.capacity[k] * maxUtil + 1e-9);
  return { lnCp, headsPerUnit, choice, configs, interval, bottleneck, resources, perKind, fits, movedToUram: moved, memories };
}

const outputWidth = (b: Block): number => {
  const s = b.streams.find((x) => x.name === b.output.stream)!;
  return s.lanes * s.bits;
};

/**
 * Sweep the design space: for every reachable interval target (the distinct cycle counts of all knob options),
 * the cheapest balanced choice per stream width. Returns every distinct candidate, fastest first.
 */
export function sweep(model: ViTConfig, device: Device, opts: SearchOptions): Candidate[] {
  const g = geometryOf(model);
  const spaces = lnCpOptions(g).flatMap((c) => headUnitOptions(g).map((k) => priceSpace(model, g, c, k, device)));
  const jobs: Array<{ space: Space; target: number }> = [];
  for (const space of spaces) {
    const targets = new Set<number>();
    for (const k of space.knobs) for (const o of k.options) if (o.cycles >= space.floor) targets.add(o.cycles);
    targets.add(space.floor);
    for (const t of [...targets].sort((a, b) => a - b)) jobs.push({ space, target: t });
  }
  const seen = new Map<string, Candidate>();
  jobs.forEach((job, i) => {
    const choice = chooseFor(job.space, g, job.target);
    opts.onProgress?.(i + 1, jobs.length, `cp ${job.space.lnCp}, ${job.space.headsPerUnit} head(s) per unit, target ${job.target}`);
    if (!choice) return;
    const key = `${job.space.lnCp}|${job.space.headsPerUnit}|${JSON.stringify(choice)}`;
    if (seen.has(key)) return;
    try {
      seen.set(key, evaluate(model, g, job.space.lnCp, choice, device, opts.maxUtilization, job.space.headsPerUnit));
    } catch {
      // a choice the IR rejects (a geometry the builders cannot express) is simply not a candidate
    }
  });
  return [...seen.values()].sort((a, b) => a.interval - b.interval || sizeOn(a.resources, device.capacity) - sizeOn(b.resources, device.capacity));
}

/** Candidates not dominated in (interval, LUT). */
export function paretoFront(cands: Candidate[]): Candidate[] {
  const sorted = [...cands].sort((a, b) => a.interval - b.interval || a.resources.lut - b.resources.lut);
  const front: Candidate[] = [];
  let bestLut = Infinity;
  for (const c of sorted) {
    if (c.resources.lut >= bestLut) continue;
    bestLut = c.resources.lut;
    front.push(c);
  }
  return front;
}

