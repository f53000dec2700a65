/**
 * Planning a pipelined design for a pruned model. Token pruning makes the blocks after each selection stage run
 * fewer tokens and block-sparse weights make the static MAC arrays skip all-zero weight tiles, so those stages
 * meet an interval with less parallelism; the freed area can go to the unpruned stages. This planner re-balances
 * per token group (blocks that run the same token count share one configuration), with the same knobs, option
 * pricing and compatibility rules as src/plan (whose search assumes one configuration for all layers), plus the
 * network input width (the patch embedding's input adapter is otherwise a fixed floor).
 */
import {
  buildAttnBlock, buildMlpBlock, geometriesOf, matmulCycles, processCycles, tileSparsityOf, validateBlock, withSparseMatmul,
  type Block, type BlockKind, type MatmulPar, type MatmulShape, type Process, type TileSparsity,
} from '../ir/index.ts';
import {
  add, DESIGN_BINDING, estimateBlock, fifoCost, rebindToUram, res, RESOURCE_KEYS, scale, sizeOn, weightRomSummary, type Device, type PlacedMemory, type Resources,
  type WeightRomSummary,
} from '../cost/index.ts';
import { assembleBlock, configsOf, pickChoice, geometryOf, HGPIPE_CHOICE, intervalFloor, noBuildableDesign, type Choice, type KindConfigs, type KnobName } from '../plan/index.ts';
import { allKnobOptions, compatible, lnCpOptions, ratioOk, type Geometry, type KnobOption, type KnobValue } from '../plan/space.ts';
import { lcm } from '../ir/kinds/index.ts';
import type { ViTConfig } from '../model/index.ts';
import type { ModelWeights } from '../refs/index.ts';
import { keptTokens, settingSchedule, type PruneSetting } from './config.ts';
import { selectorFor, type SelectorInfo } from './selector.ts';
import { mergeUnitFor } from '../merge/unit.ts';

const TP = 2;
const pad = (t: number) => Math.ceil(t / TP) * TP;
const KINDS: BlockKind[] = ['patch-embed', 'attn', 'mlp', 'head'];
const PE_IN_CP = [2, 4, 8, 16];
/** Static 3-bit matmuls: knob → process-name prefixes in the IR blocks and the weight matrices behind them. */
const SPARSE_KNOBS: Partial<Record<KnobName, { prefixes: string[]; kind: 'attn' | 'mlp'; mats: Array<'q' | 'k' | 'v' | 'o' | 'fc1' | 'fc2'> }>> = {
  qkv: { prefixes: ['q', 'k', 'v'], kind: 'attn', mats: ['q', 'k', 'v'] },
  o: { prefixes: ['o'], kind: 'attn', mats: ['o'] },
  fc1: { prefixes: ['m1'], kind: 'mlp', mats: ['fc1'] },
  fc2: { prefixes: ['m2'], kind: 'mlp', mats: ['fc2'] },
};

/** Blocks that run the same (padded) token count; they share one configuration. */
export interface TokenGroup {
  tokens: number;
  attnLayers: number[];
  mlpLayers: number[];
  hasPatchEmbed: boolean;
  hasHead: boolean;
}

export function tokenGroups(model: ViTConfig, s: PruneSetting): TokenGroup[] {
  const sched = settingSchedule(model.tokens, model.depth, s);
  const groups = new Map<number, TokenGroup>();
  const g = (t: number) => {
    const k = pad(t);
    if (!groups.has(k)) groups.set(k, { tokens: k, attnLayers: [], mlpLayers: [], hasPatchEmbed: false, hasHead: false });
    return groups.get(k)!;
  };
  g(model.tokens).hasPatchEmbed = true;
  sched.attn.forEach((t, n) => g(t).attnLayers.push(n));
  sched.mlp.forEach((t, n) => g(t).mlpLayers.push(n));
  g(sched.mlp[model.depth - 1]).hasHead = true;
  return [...groups.values()];
}

interface PricedOption {
  value: KnobValue;
  /** Cycles per image of the stage (sparse-adjusted when the weights are block-sparse). */
  cycles: number;
  cost: number;
}

/** Per layer of a group, per matmul prefix (`q`, `m1`, …): the tile pattern of its block-sparse form. */
type SparseForms = Map<number, Map<string, TileSparsity>>;

interface GroupSpace {
  group: TokenGroup;
  model: ViTConfig;
  g: Geometry;
  lnCp: number;
  knobs: Map<KnobName, PricedOption[]>;
  /**
   * Per sparse knob and tiling (key `knob|cip×cop`): the matmuls that run block-sparse (those whose sparse window
   * and MAC are faster than the dense ones) with their patterns, from the pruned weights.
   */
  sparse: Map<string, SparseForms>;
}

/** Input and output channels of a static matmul knob. */
const knobDims = (knob: KnobName, g: Geometry): [number, number] =>
  knob === 'fc1' ? [g.width, g.hidden] : knob === 'fc2' ? [g.hidden, g.width] : [g.width, g.width];
const ANY_STAGES = { depth: 3, read: 0, write: 2 };

function referenceChoice(g: Geometry, lnCp: number): Required<Choice> {
  const fit = (m: MatmulPar, ci: number, co: number): MatmulPar => ({ cip: ci % m.cip === 0 ? m.cip : 1, cop: co % m.cop === 0 ? m.cop : 1 });
  const c = HGPIPE_CHOICE as Record<KnobName, MatmulPar>;
  return {
    ...HGPIPE_CHOICE, softmaxCp: 1, geluCp: lnCp,
    qkv: fit(c.qkv, g.width, g.width), o: fit(c.o, g.width, g.width), qk: fit(c.qk, g.headDim, g.tokens), rv: fit(c.rv, g.tokens, g.headDim),
    fc1: fit(c.fc1, g.width, g.hidden), fc2: fit(c.fc2, g.hidden, g.width), pe: fit(c.pe, g.patchElements, g.width), fc: fit(c.fc, g.width, g.classes),
  };
}

const pick = (cfg: KindConfigs, kind: BlockKind): Partial<KindConfigs> =>
  kind === 'attn' ? { attn: cfg.attn } : kind === 'mlp' ? { mlp: cfg.mlp } : kind === 'patch-embed' ? { patchEmbed: cfg.patchEmbed } : { head: cfg.head };

const priceCache = new Map<string, Map<KnobName, PricedOption[]>>();
const KNOB_KIND: Record<KnobName, BlockKind> = {
  softmaxCp: 'attn', qkv: 'attn', o: 'attn', qk: 'attn', rv: 'attn', geluCp: 'mlp', fc1: 'mlp', fc2: 'mlp', pe: 'patch-embed', fc: 'head',
};
/** Options slower than this are never useful here (the unpruned designs run 25–60 k cycles per image). */
const SLOWEST_USEFUL = 150_000;

/**
 * Every option of every knob between 0.4 × the geometry's interval floor and SLOWEST_USEFUL cycles (src/plan keeps
 * fewer and can lose the only options compatible with a small pruned geometry), priced by one block build each.
 */
function allOptions(g: Geometry, lnCp: number): Map<KnobName, Array<{ value: KnobValue; cycles: number }>> {
  const lo = 0.4 * intervalFloor(g, lnCp);
  const all = allKnobOptions(g);
  const window = (opts: KnobOption[]) => {
    const useful = opts.filter((o) => o.cycles >= lo && o.cycles <= SLOWEST_USEFUL);
    return useful.length ? useful : [opts.reduce((a, b) => (b.cycles < a.cycles ? b : a))];
  };
  const matmuls: KnobName[] = ['qkv', 'o', 'qk', 'rv', 'fc1', 'fc2', 'pe', 'fc'];
  return new Map<KnobName, Array<{ value: KnobValue; cycles: number }>>([
    ['softmaxCp', all.softmaxCp.filter((o) => o.value === lnCp)],
    ['geluCp', all.geluCp.filter((o) => (o.value as number) <= 8)],
    ...matmuls.map((k) => [k, window(all[k])] as [KnobName, KnobOption[]]),
  ]);
}

function pricedKnobs(model: ViTConfig, g: Geometry, lnCp: number, device: Device): Map<KnobName, PricedOption[]> {
  const key = `${model.name}|${g.tokens}|${lnCp}|${device.name}`;
  let out = priceCache.get(key);
  if (out) return out;
  out = new Map();
  const refChoice = referenceChoice(g, lnCp);
  const ref = configsOf(g, lnCp, refChoice, model);
  for (const [name, options] of allOptions(g, lnCp)) {
    const kind = KNOB_KIND[name];
    out.set(name, options.map((o) => {
      let cost = Infinity;
      try {
        const cfg = configsOf(g, lnCp, { ...refChoice, [name]: o.value } as Required<Choice>, model);
        cost = sizeOn(estimateBlock(assembleBlock(model, { ...ref, ...pick(cfg, kind) }, kind), device).resources, device.capacity);
      } catch {
        // an option the builders reject is never chosen
      }
      return { ...o, cost };
    }).filter((o) => Number.isFinite(o.cost)));
  }
  priceCache.set(key, out);
  return out;
}

function groupSpace(model: ViTConfig, group: TokenGroup, lnCp: number, device: Device, weights?: ModelWeights): GroupSpace {
  const m = { ...model, tokens: group.tokens };
  const g = geometryOf(m);
  const dense = pricedKnobs(m, g, lnCp, device);
  const sparse = new Map<string, SparseForms>();
  const knobs = new Map<KnobName, PricedOption[]>();
  for (const [name, options] of dense) {
    const sk = SPARSE_KNOBS[name];
    const layers = sk?.kind === 'attn' ? group.attnLayers : group.mlpLayers;
    if (!sk || !weights || layers.length === 0) {
      knobs.set(name, options);
      continue;
    }
    const [ci, co] = knobDims(name, g);
    knobs.set(name, options.map((o) => {
      const { cip, cop } = o.value as MatmulPar;
      const shape: MatmulShape = { tt: g.tt, tp: TP, ci, co, cip, cop };
      const denseCycles = matmulCycles(shape, ANY_STAGES);
      const forms: SparseForms = new Map();
      let cycles = 0;
      for (const n of layers) {
        const perLayer = new Map<string, TileSparsity>();
        sk.mats.forEach((mat, k) => {
          const sm = sk.kind === 'attn' ? weights.attention[n][mat as 'q'] : weights.mlp[n][mat as 'fc1'];
          const pattern = tileSparsityOf(sm.weights.w, co, ci, cop, cip);
          const c = matmulCycles(shape, ANY_STAGES, pattern);
          // the sparse form (double-buffered window, one extra period per image) only where it is faster
          if (c < denseCycles) perLayer.set(sk.prefixes[k], pattern);
          cycles = Math.max(cycles, Math.min(c, denseCycles));
        });
        if (perLayer.size) forms.set(n, perLayer);
      }
      if (forms.size) sparse.set(`${name}|${cip}x${cop}`, forms);
      // priced with its sparse ROMs (the first layer's patterns stand for the group's): tilings that line up with
      // the pruned blocks store fewer tiles, and the planner should see that
      const rep = forms.get(layers[0]);
      return { ...o, cycles, cost: rep ? sparseCost(m, g, lnCp, device, name, o.value, rep) ?? o.cost : o.cost };
    }));
  }
  return { group, model: m, g, lnCp, knobs, sparse };
}

/** The block of a knob's kind priced as pricedKnobs does, with this knob's matmuls block-sparse. */
function sparseCost(model: ViTConfig, g: Geometry, lnCp: number, device: Device, name: KnobName, value: KnobValue, forms: Map<string, TileSparsity>): number | undefined {
  const kind = KNOB_KIND[name];
  const refChoice = referenceChoice(g, lnCp);
  try {
    const cfg = configsOf(g, lnCp, { ...refChoice, [name]: value } as Required<Choice>, model);
    let block = assembleBlock(model, { ...configsOf(g, lnCp, refChoice, model), ...pick(cfg, kind) }, kind);
    for (const [prefix, pattern] of forms) block = withSparseMatmul(block, prefix, pattern);
    return sizeOn(estimateBlock(block, device).resources, device.capacity);
  } catch {
    return undefined;
  }
}

/** Cheapest compatible options meeting `target` for the stages this group holds (others: cheapest compatible). */
function chooseFor(sp: GroupSpace, target: number): Required<Choice> | undefined {
  const has = (k: KnobName) => {
    if (['softmaxCp', 'qkv', 'o', 'qk', 'rv'].includes(k)) return sp.group.attnLayers.length > 0;
    if (['geluCp', 'fc1', 'fc2'].includes(k)) return sp.group.mlpLayers.length > 0;
    return k === 'pe' ? sp.group.hasPatchEmbed : sp.group.hasHead;
  };
  const ok = (name: KnobName, chosen: Choice) =>
    sp.knobs.get(name)!
      .filter((o) => (!has(name) || o.cycles <= target) && compatible(sp.g, sp.lnCp, name, o.value, chosen))
      .sort((a, b) => a.cost - b.cost);
  return pickChoice(ok);
}

export interface GroupDesign {
  tokens: number;
  /** Channels per beat of the residual stream in this group (the selectors convert between groups). */
  lnCp: number;
  blocks: string[];
  choice: Required<Choice>;
  configs: KindConfigs;
  /** Built blocks of this group, one per kind it holds (layers of a kind are identical in structure). */
  built: Array<{ kind: BlockKind; count: number; block: Block; layers: number[] }>;
}

/** The block-sparse matmuls of one knob in one token group (figures from the built processes). */
export interface SparseMac {
  group: number;
  knob: KnobName;
  cip: number;
  cop: number;
  /** Sparse MAC arrays of this knob in the group (layers × matrices), of `arrays` in all. */
  sparseArrays: number;
  arrays: number;
  /** Per token pair, the slowest array: dense iterations (cot·cit) and sparse ones (Σ max(1, k_r)). */
  denseIterations: number;
  sparseIterations: number;
  /** Stored tiles of all arrays of this knob, and dense tiles. */
  storedTiles: number;
  denseTiles: number;
}

export interface PrunedDesign {
  peInCp: number;
  groups: GroupDesign[];
  /** Token selectors (pruning) or merge units (merging; `keep` = image tokens leaving). */
  selectors: SelectorInfo[];
  sparseMacs: SparseMac[];
  /** Static weight ROMs of the whole design (each layer counted), against dense ROMs. */
  weightRoms: WeightRomSummary;
  /** Analytic interval: the slowest process (sparse MACs and selectors included), cycles per image. */
  interval: number;
  bottleneck: { block: string; process: string };
  resources: Resources;
  fits: boolean;
  movedToUram: PlacedMemory[];
}

/**
 * The K/V reshaper's serialiser (II = 2) feeds its reorder FSM, which alternates a READ phase and a WRITE phase
 * per group of lcm(tip, top) tokens; with HG-PIPE's 2-deep FIFO between them the serialiser stalls through every
 * WRITE phase (≈ 3·T·headDim cycles instead of 2·T·headDim), which the simulator shows once the attention block is
 * fast enough for it to matter. One group of buffering decouples them (simulated: 38,124 → 28,225 cycles).
 */
function deepenReshaperFifos(b: Block): Block {
  if (b.kind !== 'attn') return b;
  const reorder = new Map<string, Extract<Process, { kind: 'reshape-reorder' }>>();
  for (const p of b.processes) if (p.kind === 'reshape-reorder') reorder.set(p.inputs[0], p);
  return {
    ...b,
    streams: b.streams.map((st) => {
      const r = reorder.get(st.name);
      return r ? { ...st, depth: Math.max(st.depth, lcm(r.tip, r.top) * r.headDim), impl: 'memory' as const } : st;
    }),
  };
}

/**
 * The blocks of one kind in a group: one block for all its layers when they are dense; with block-sparse matmuls
 * one block per layer (its own tile patterns), named and built as that layer.
 */
function kindBlocks(sp: GroupSpace, configs: KindConfigs, choice: Required<Choice>, kind: BlockKind): Array<{ layers: number[]; block: Block }> {
  const layers = kind === 'attn' ? sp.group.attnLayers : kind === 'mlp' ? sp.group.mlpLayers : [];
  const knobs = (Object.keys(SPARSE_KNOBS) as KnobName[]).filter((k) => SPARSE_KNOBS[k]!.kind === kind);
  const formsOf = (n: number) =>
    knobs.flatMap((k) => {
      const { cip, cop } = choice[k] as MatmulPar;
      return [...(sp.sparse.get(`${k}|${cip}x${cop}`)?.get(n) ?? [])];
    });
  if (!layers.some((n) => formsOf(n).length > 0)) return [{ layers, block: deepenReshaperFifos(assembleBlock(sp.model, configs, kind)) }];
  const { g } = geometriesOf(sp.model);
  return layers.map((n) => {
    let block = kind === 'attn' ? buildAttnBlock(`ATTN${n}`, n, g, configs.attn) : buildMlpBlock(`MLP${n}`, n, g, configs.mlp);
    for (const [prefix, pattern] of formsOf(n)) block = withSparseMatmul(block, prefix, pattern);
    return { layers: [n], block: deepenReshaperFifos(block) };
  });
}

interface GroupBuild {
  sp: GroupSpace;
  design: GroupDesign;
  raw: Resources;
  memories: PlacedMemory[];
  interval: number;
  bottleneck: { block: string; process: string };
  sparseMacs: SparseMac[];
  peInCp: number;
}

/** One token group at one stream width built for an interval target. */
function buildGroup(sp: GroupSpace, target: number, device: Device): GroupBuild | undefined {
  const choice = chooseFor(sp, target);
  if (!choice) return undefined;
  const configs = configsOf(sp.g, sp.lnCp, choice, sp.model);
  const pe = choice.pe as MatmulPar;
  const inCps = PE_IN_CP.filter((c) => ratioOk(c, pe.cip));
  const peInCp = inCps.find((c) => (sp.g.tt * sp.g.patchElements) / c + 1 <= target) ?? inCps[inCps.length - 1] ?? 2;
  configs.patchEmbed = { ...configs.patchEmbed, inCp: peInCp };
  const counts: Record<BlockKind, number> = { 'patch-embed': +sp.group.hasPatchEmbed, attn: sp.group.attnLayers.length, mlp: sp.group.mlpLayers.length, head: +sp.group.hasHead };
  const built: GroupDesign['built'] = [];
  const memories: PlacedMemory[] = [];
  const sparseMacs: SparseMac[] = [];
  let raw = res({});
  let interval = 0;
  let bottleneck = { block: '', process: '' };
  try {
    for (const kind of KINDS) {
      if (counts[kind] === 0) continue;
      for (const { layers, block } of kindBlocks(sp, configs, choice, kind)) {
        validateBlock(block);
        const count = kind === 'attn' || kind === 'mlp' ? layers.length : 1;
        built.push({ kind, count, block, layers });
        const e = estimateBlock(block, device);
        raw = add(raw, scale(e.resources, count));
        const label = count === counts[kind] ? `${kind}@${sp.group.tokens}` : `${block.name}@${sp.group.tokens}`;
        for (const m of e.memories) memories.push({ ...m, block: label, count });
        for (const p of block.processes) {
          const c = processCycles(p);
          if (c > interval) [interval, bottleneck] = [c, { block: `${count === counts[kind] ? kind : block.name} @ ${sp.group.tokens} tokens`, process: p.name }];
        }
      }
    }
  } catch {
    return undefined; // a geometry the IR builders reject
  }
  for (const [knob, sk] of Object.entries(SPARSE_KNOBS) as Array<[KnobName, NonNullable<(typeof SPARSE_KNOBS)[KnobName]>]>) {
    const { cip, cop } = choice[knob] as MatmulPar;
    const macs = built.filter((b) => b.kind === sk.kind).flatMap((b) =>
      b.block.processes.filter((p) => p.kind === 'mac' && sk.prefixes.some((x) => p.name === `${x}.mac`)).map((p) => ({ p: p as Extract<Process, { kind: 'mac' }>, count: b.count })));
    const sparseOnes = macs.filter((m) => m.p.sparsity);
    if (sparseOnes.length === 0) continue;
    const [ci, co] = knobDims(knob, sp.g);
    const denseTiles = (ci / cip) * (co / cop);
    const rom = weightRomSummary(macs.map((m) => ({ block: { ...built[0].block, processes: [m.p] }, count: m.count })));
    sparseMacs.push({
      group: sp.group.tokens, knob, cip, cop,
      sparseArrays: sparseOnes.reduce((n, m) => n + m.count, 0), arrays: macs.reduce((n, m) => n + m.count, 0),
      denseIterations: denseTiles, sparseIterations: Math.max(...sparseOnes.map((m) => m.p.weightMemory.words)),
      storedTiles: rom.storedTiles, denseTiles: rom.denseTiles,
    });
  }
  const blocks = [
    ...(sp.group.hasPatchEmbed ? ['PATCH_EMBED'] : []),
    ...sp.group.attnLayers.map((n) => `ATTN${n}`),
    ...sp.group.mlpLayers.map((n) => `MLP${n}`),
    ...(sp.group.hasHead ? ['HEAD'] : []),
  ];
  return { sp, design: { tokens: sp.group.tokens, lnCp: sp.lnCp, blocks, choice, configs, built }, raw, memories, interval, bottleneck, sparseMacs, peInCp };
}

/** Every group at its cheapest stream width meeting the target, the selectors between them, links; fitted. */
function buildAt(model: ViTConfig, spaces: GroupSpace[][], target: number, device: Device, maxUtil: number, s: PruneSetting): PrunedDesign | undefined {
  const uram = device.capacity.uram > 0;
  const builds: GroupBuild[] = [];
  for (const perLnCp of spaces) {
    const cands = perLnCp.map((sp) => buildGroup(sp, target, device)).filter((b) => b !== undefined);
    if (cands.length === 0) return undefined;
    const meeting = cands.filter((b) => b.interval <= target);
    const pool = meeting.length ? meeting : [cands.reduce((a, b) => (b.interval < a.interval ? b : a))];
    builds.push(pool.reduce((a, b) => (sizeOn(b.raw, device.capacity) < sizeOn(a.raw, device.capacity) ? b : a)));
  }
  const groupOf = (tokens: number) => builds.find((b) => b.sp.group.tokens === pad(tokens))!;
  let raw = add(...builds.map((b) => b.raw));
  const memories = builds.flatMap((b) => b.memories);
  let interval = 0;
  let bottleneck = { block: '', process: '' };
  for (const b of builds) if (b.interval > interval) [interval, bottleneck] = [b.interval, b.bottleneck];
  // links between blocks: the residual stream at each group's width
  const link = (lnCp: number) => fifoCost(128, TP * lnCp * model.quant.residualBits, uram);
  for (const b of builds) raw = add(raw, scale(link(b.sp.lnCp), b.design.blocks.length - (b.sp.group.hasHead ? 1 : 0)));
  const sched = settingSchedule(model.tokens, model.depth, s);
  const selectors: SelectorInfo[] = [];
  for (const st of s.tokens?.stages ?? []) {
    if (sched.attn[st.block] === sched.mlp[st.block]) continue;
    // the IR's selector after this group's attention block: its processes' cycles and cost (src/ir, src/cost)
    const attn = groupOf(sched.attn[st.block]).design.built.find((b) => b.kind === 'attn')!.block;
    const { info } = selectorFor(attn, {
      tokensIn: sched.attn[st.block], keep: keptTokens(sched.attn[st.block], st.keep), fuse: s.tokens!.fuse, cpOut: groupOf(sched.mlp[st.block]).sp.lnCp,
    }, device);
    selectors.push({ ...info, after: `ATTN${st.block}` });
    raw = add(raw, info.resources);
    for (const m of info.memories) memories.push({ ...m, block: `selector after ATTN${st.block}`, count: 1 });
    if (info.cycles > interval) [interval, bottleneck] = [info.cycles, { block: `selector after ATTN${st.block}`, process: info.process }];
  }
  // token merging: a merge unit after every attention block that merges (src/merge/unit.ts), listed with the selectors
  if (s.mergeTokens !== undefined)
    for (let n = 0; n < model.depth; n++) {
      if (sched.attn[n] === sched.mlp[n]) continue;
      const attn = groupOf(sched.attn[n]).design.built.find((b) => b.kind === 'attn')!.block;
      const { info } = mergeUnitFor(attn, { tokensIn: sched.attn[n], merged: sched.attn[n] - sched.mlp[n], cpOut: groupOf(sched.mlp[n]).sp.lnCp }, device);
      selectors.push({ ...info, after: `ATTN${n}` });
      raw = add(raw, info.resources);
      for (const m of info.memories) memories.push({ ...m, block: `merge unit after ATTN${n}`, count: 1 });
      if (info.cycles > interval) [interval, bottleneck] = [info.cycles, { block: `merge unit after ATTN${n}`, process: info.process }];
    }
  const { moved, resources } = rebindToUram(raw, memories, device, maxUtil, DESIGN_BINDING);
  const fits = RESOURCE_KEYS.every((k) => resources[k] <= device.capacity[k] * maxUtil + 1e-9);
  const first = builds.find((b) => b.sp.group.hasPatchEmbed)!;
  return {
    peInCp: first.peInCp,
    groups: builds.map((b) => b.design),
    selectors,
    sparseMacs: builds.flatMap((b) => b.sparseMacs),
    weightRoms: weightRomSummary(builds.flatMap((b) => b.design.built.map(({ block, count }) => ({ block, count })))),
    interval,
    bottleneck,
    resources,
    fits,
    movedToUram: moved,
  };
}

export interface PrunedPlanRequest {
  model: ViTConfig;
  device: Device;
  setting: PruneSetting;
  /** The setting's (pruned) weights; needed for block-sparse MAC tile counts. */
  weights?: ModelWeights;
  maxUtilization?: number;
}

function spacesOf(req: PrunedPlanRequest): GroupSpace[][] {
  const lnCps = lnCpOptions(geometryOf(req.model));
  return tokenGroups(req.model, req.setting).map((g) =>
    lnCps.map((lnCp) => groupSpace(req.model, g, lnCp, req.device, req.setting.weights ? req.weights : undefined)));
}

/** The fastest design that fits (or, when nothing fits, the slowest-target one), per the analytic model. */
export function planPruned(req: PrunedPlanRequest): PrunedDesign {
  const { model, device, setting } = req;
  const maxUtil = req.maxUtilization ?? 0.9;
  const spaces = spacesOf(req);
  // the network cannot beat the unpruned group's floor at its widest stream
  const floor = Math.max(...spaces.map((per) => Math.min(...per.map((sp) => intervalFloor(sp.g, sp.lnCp)))));
  const targets = new Set<number>([floor]);
  for (const per of spaces) for (const sp of per) for (const opts of sp.knobs.values()) for (const o of opts) if (o.cycles >= floor) targets.add(o.cycles);
  const sorted = [...targets].sort((a, b) => a - b);
  let lo = 0;
  let hi = sorted.length - 1;
  let found = buildAt(model, spaces, sorted[hi], device, maxUtil, setting);
  if (!found) noBuildableDesign(model, setting.name);
  if (!found.fits) return found;
  // the smallest target whose design fits (fitting is monotone in the target up to pricing noise)
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const d = buildAt(model, spaces, sorted[mid], device, maxUtil, setting);
    // a group that cannot meet the target is built at its fastest: count that as a miss
    if (d?.fits && d.interval <= sorted[mid] * 1.05) hi = mid;
    else lo = mid + 1;
    if (d?.fits && d.interval < found.interval) found = d;
  }
  return found;
}

/** The design the planner builds for one interval target (undefined if it cannot build one). */
export function designAt(req: PrunedPlanRequest, target: number): PrunedDesign | undefined {
  return buildAt(req.model, spacesOf(req), target, req.device, req.maxUtilization ?? 0.9, req.setting);
}
