import { fail } from '../diag/index.ts';
import type { ViTConfig } from '../model/index.ts';
import type { Design, ProcessKind } from '../ir/index.ts';
import { DESIGN_BINDING, estimateBlock, estimateDesign, RESOURCE_KEYS, RESOURCE_LABELS, romInUram, sizeOn, type Device, type ResourceKey, type Resources } from '../cost/index.ts';
import { sizeFifos } from '../sim/index.ts';
import { assembleDesign } from './assemble.ts';
import { paretoFront, sweep, type Candidate } from './search.ts';
import { geometryOf, intervalFloor, lnCpOptions, type Choice } from './space.ts';
import { settleFifos, type SettleStep } from './settle.ts';
import { verifyDesign, type Verification } from './verify.ts';

export interface PlanRequest {
  model: ViTConfig;
  device: Device;
  clockMhz?: number;
  /** Smallest design reaching this many images per second instead of the fastest that fits. */
  targetFps?: number;
  /** Share of each device resource a design may use (default 0.9). */
  maxUtilization?: number;
  /** Simulate the chosen design (default true); `fullNetwork` simulates all blocks in one chain (minutes). */
  verify?: boolean;
  fullNetwork?: boolean;
  onProgress?: (done: number, total: number, detail: string) => void;
}

/** Why a design does not fit: the worst resource and the stages that use most of it. */
export interface Shortfall {
  resource: ResourceKey;
  needs: number;
  has: number;
  message: string;
  shrink: Array<{ block: string; process: ProcessKind | 'fifo' | 'control'; amount: number; share: number }>;
  /** For BRAM: the largest memories (per block kind, times the blocks of that kind). */
  memories: Array<{ block: string; name: string; what: string; depth: number; width: number; bram: number }>;
}

export interface ParetoPoint {
  interval: number;
  imagesPerSecond: number;
  lut: number;
  resources: Resources;
  fits: boolean;
  lnCp: number;
}

export interface PlanResult {
  model: string;
  device: { name: string; capacity: Resources };
  clockMhz: number;
  objective: 'max-throughput' | 'target-fps';
  targetFps: number | null;
  /** Simulated steady interval when verified, else the analytic one. */
  steadyInterval: number;
  analyticInterval: number;
  imagesPerSecond: number;
  firstImageLatency: number | null;
  resources: Resources;
  fits: boolean;
  /** Images per second per 1,000 LUTs (area efficiency). */
  imagesPerSecondPerKLut: number;
  bottleneck: { block: string; process: string };
  channelsPerBeat: number;
  /** Heads sharing one attention pipeline (1: one pipeline per head, as HG-PIPE). */
  headsPerUnit: number;
  choice: Required<Choice>;
  tokensRun: number;
  /** `loadAtStart`: a ROM in UltraScale+ UltraRAM, written once after configuration (cost/binding.ts). */
  movedToUram: Array<{ block: string; memory: string; what: string; depth: number; width: number; count: number; loadAtStart?: boolean }>;
  shortfall: Shortfall | null;
  verification: Verification | null;
  /** FIFO depths from the simulator's peak-occupancy sizing (src/sim sizeFifos), when it ran. */
  fifoSizing: { settle: SettleStep[]; resized: number; savedBram18: number; savedBits: number; seconds: number; kept?: string } | null;
  pareto: ParetoPoint[];
  candidatesEvaluated: number;
  design: Design | null;
}

const fmtCount = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e4 ? `${Math.round(n / 1e3)} k` : `${Math.round(n * 10) / 10}`);

/** The worst overflowing resource of a candidate and the (block kind, process kind) pairs that use most of it. */
export function shortfallOf(c: Candidate, device: Device, maxUtil: number): Shortfall | null {
  let worst: ResourceKey | null = null;
  let ratio = 1;
  for (const k of RESOURCE_KEYS) {
    const allowed = device.capacity[k] * maxUtil;
    const r = allowed > 0 ? c.resources[k] / allowed : c.resources[k] > 0 ? Infinity : 0;
    if (r > ratio) [worst, ratio] = [k, r];
  }
  if (!worst) return null;
  const k = worst;
  const parts: Shortfall['shrink'] = [];
  for (const pk of c.perKind) {
    const e = estimateBlock(pk.block, device);
    for (const [proc, r] of Object.entries(e.byKind)) if (r && r[k] > 0) parts.push({ block: pk.kind, process: proc as ProcessKind, amount: r[k] * pk.count, share: 0 });
  }
  const total = parts.reduce((s, p) => s + p.amount, 0) || 1;
  for (const p of parts) p.share = p.amount / total;
  parts.sort((a, b) => b.amount - a.amount);
  const memories = k === 'bram'
    ? c.memories
        .map((m) => ({ block: m.block, name: m.process, what: m.what, depth: m.depth, width: m.width, bram: m.bram * m.count }))
        .sort((a, b) => b.bram - a.bram)
        .slice(0, 5)
    : [];
  const needs = c.resources[k];
  const has = device.capacity[k];
  const top = parts[0];
  const limit = maxUtil < 1 ? ` (${Math.round(maxUtil * 100)} % usable: ${fmtCount(has * maxUtil)})` : '';
  const message =
    `needs ${fmtCount(needs)} ${RESOURCE_LABELS[k]}, device ${device.name} has ${fmtCount(has)}${limit}` +
    (top ? `; largest user: ${top.block} ${top.process} (${fmtCount(top.amount)}, ${Math.round(top.share * 100)} %)` : '') +
    (memories[0] ? `; largest memory: ${memories[0].block} ${memories[0].name} (${memories[0].what}, ${memories[0].depth} × ${memories[0].width} bits, ${fmtCount(memories[0].bram)} BRAM36 in all)` : '') +
    '; shrink that stage or pick a larger device';
  return { resource: k, needs, has, message, shrink: parts.slice(0, 5), memories };
}

/** Memories moved to URAM, per block kind and memory name (ATTN0..ATTN11 → attn). */
function groupMoved(ms: ReturnType<typeof estimateDesign>['movedToUram']): PlanResult['movedToUram'] {
  const out = new Map<string, PlanResult['movedToUram'][number]>();
  for (const m of ms) {
    const block = m.block.replace(/\d+$/, '').toLowerCase().replace('_', '-');
    const key = `${block}|${m.process}|${m.what}|${m.depth}|${m.width}`;
    const e = out.get(key);
    if (e) e.count += m.count;
    else out.set(key, { block, memory: m.process, what: m.what, depth: m.depth, width: m.width, count: m.count, ...(m.loadAtStart ? { loadAtStart: true } : {}) });
  }
  return [...out.values()];
}

/** On-chip weight storage: when the weights alone exceed BRAM (+ URAM where weights may live in it, cost/binding.ts). */
function withWeightNote(s: Shortfall, model: ViTConfig, device: Device): Shortfall {
  const w = model.width;
  const hidden = Math.round(model.width * model.mlpRatio);
  const q = model.quant;
  const patch = model.inChannels * model.patchSize * model.patchSize;
  const bits = model.depth * (4 * w * w + 2 * w * hidden) * q.weightBits + patch * w * q.embedBits + w * model.numClasses * q.headBits;
  const uram = romInUram(device, DESIGN_BINDING).allowed;
  const onChip = device.capacity.bram * 36 * 1024 + (uram ? device.capacity.uram * 288 * 1024 : 0);
  if (bits <= onChip) return s;
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} Mbit`;
  const where = uram ? 'BRAM + URAM' : 'BRAM';
  return { ...s, message: `${s.message}. The weights alone are ${mb(bits)} at ${q.weightBits} bits; the device's ${where} hold ${mb(onChip)}, so no parallelism fits them on chip` };
}

/** A --target-fps below 1/8 of the fastest design's images/s is planned at that 1/8 (see plan()). */
const SLOWEST_USEFUL = 8;
/** Candidates finalized (simulated, FIFO-sized) before giving up on fitting. */
const MAX_ATTEMPTS = 4;

interface Finalized {
  chosen: Candidate;
  design: Design;
  verification: Verification | null;
  fifoSizing: PlanResult['fifoSizing'];
  resources: Resources;
  moved: PlanResult['movedToUram'];
  shortfall: Shortfall | null;
}

/** Build a candidate, settle and size its FIFOs by simulation, re-estimate it and verify it. */
function finalize(model: ViTConfig, device: Device, chosen: Candidate, maxUtil: number, req: PlanRequest, unreachable: string | null): Finalized {
  let shortfall = shortfallOf(chosen, device, maxUtil);
  if (unreachable) shortfall = { resource: 'lut', needs: 0, has: 0, message: unreachable, shrink: shortfall?.shrink ?? [], memories: [] };
  let design = assembleDesign(model, chosen.configs, `${model.name}-${device.name}-planned`);
  let verification: Verification | null = null;
  let fifoSizing: PlanResult['fifoSizing'] = null;
  let resources = chosen.resources;
  let moved: PlanResult['movedToUram'] = groupMoved(chosen.movedToUram);
  if (req.verify === false || shortfall) return { chosen, design, verification, fifoSizing, resources, moved, shortfall };
  // FIFO depths: HG-PIPE's (whole-image buffers scaled) deepened until each block keeps pace, then trimmed to peaks
  const t0 = performance.now();
  const settled = settleFifos(design, { onProgress: (m) => req.onProgress?.(0, 1, m) });
  design = settled.design;
  req.onProgress?.(0, 1, 'sizing FIFOs by simulation');
  const sized = settled.steps.every((s) => s.settled !== null)
    ? sizeFifos(design, { images: 3, searchBits: Infinity, onProgress: (m) => req.onProgress?.(0, 1, m) })
    : null;
  let est = estimateDesign(design, device, { maxUtilization: maxUtil });
  if (sized && sized.verification.every((v) => !v.deadlock && v.sizedInterval <= v.interval)) {
    const sizedEst = estimateDesign(sized.sized, device, { maxUtilization: maxUtil });
    // a trimmed memory FIFO may drop from block RAM into LUTRAM: on a LUT-bound device that can cost the fit
    const fits = (r: Resources) => RESOURCE_KEYS.every((k) => r[k] <= device.capacity[k] * maxUtil + 1e-9);
    const keep = fits(sizedEst.total) || !fits(est.total);
    if (keep) [design, est] = [sized.sized, sizedEst];
    fifoSizing = {
      settle: settled.steps,
      resized: keep ? sized.fifos.filter((x) => x.sized !== x.original).length : 0,
      savedBram18: keep ? sized.totals.savedBram18 : 0,
      savedBits: keep ? sized.totals.savedBits : 0,
      seconds: (performance.now() - t0) / 1000,
      ...(keep ? {} : { kept: 'the settled depths: trimmed to their peaks, memory FIFOs moved from BRAM to LUTRAM and the design no longer fit' }),
    };
  }
  resources = est.total;
  moved = groupMoved(est.movedToUram);
  shortfall = shortfallOf({ ...chosen, resources }, device, maxUtil);
  req.onProgress?.(0, 1, 'simulating');
  verification = verifyDesign(design, { fullNetwork: req.fullNetwork, onProgress: (w) => req.onProgress?.(0, 1, w) });
  return { chosen, design, verification, fifoSizing, resources, moved, shortfall };
}

/**
 * Plan a pipelined accelerator for `model` on `device`: sweep the balanced designs (every stage the cheapest one
 * that meets a common interval), pick the fastest that fits (or, with targetFps, the smallest reaching it),
 * build it as an IR design and verify it with the cycle-level simulator.
 */
export function plan(req: PlanRequest): PlanResult {
  const { model, device } = req;
  const clockMhz = req.clockMhz ?? device.clockMhz;
  const maxUtil = req.maxUtilization ?? 0.9;
  const cands = sweep(model, device, { maxUtilization: maxUtil, onProgress: req.onProgress });
  const g = geometryOf(model);
  const fitting = cands.filter((c) => c.fits);
  let objective: PlanResult['objective'] = 'max-throughput';
  let unreachable: string | null = null;
  const bySize = (a: Candidate, b: Candidate) => sizeOn(a.resources, device.capacity) - sizeOn(b.resources, device.capacity);
  // the candidates to try in order: the first whose simulated, FIFO-sized version still fits wins
  let queue: Candidate[];
  if (req.targetFps !== undefined) {
    objective = 'target-fps';
    // Below an eighth of the fastest design's rate the stages are already near their smallest (weights and tables
    // set the memory), while simulating ever-longer intervals grows without bound: plan such targets at that eighth.
    const need = Math.min(Math.floor((clockMhz * 1e6) / req.targetFps), SLOWEST_USEFUL * (cands[0]?.interval ?? Infinity));
    const reaching = cands.filter((c) => c.interval <= need);
    queue = reaching.filter((c) => c.fits).sort(bySize);
    if (queue.length === 0) queue = reaching.sort(bySize).slice(0, 1);
    if (queue.length === 0) {
      const fastest = cands[0];
      const floor = Math.min(...lnCpOptions(g).map((c) => intervalFloor(g, c)));
      unreachable = `${req.targetFps} images/s at ${clockMhz} MHz needs ≤ ${need} cycles per image; the fastest design vitpipe can build for ${model.name} runs ${fastest?.interval ?? floor} cycles (${fastest ? `${fastest.bottleneck.block} ${fastest.bottleneck.process}` : 'the K/V serialisers'})`;
      queue = fastest ? [fastest] : [];
    }
  } else {
    // fastest fitting; when nothing fits, the design closest to fitting (smallest worst overflow)
    const overflow = (c: Candidate) => Math.max(...RESOURCE_KEYS.map((k) => (device.capacity[k] > 0 ? c.resources[k] / device.capacity[k] : c.resources[k] > 0 ? Infinity : 0)));
    queue = fitting.length ? fitting : [...cands].sort((a, b) => overflow(a) - overflow(b) || bySize(a, b)).slice(0, 1);
  }
  if (queue.length === 0) noBuildableDesign(model);
  let f: Finalized | undefined;
  for (const c of queue.slice(0, MAX_ATTEMPTS)) {
    f = finalize(model, device, c, maxUtil, req, unreachable);
    if (!f.shortfall || !c.fits) break;
    req.onProgress?.(0, 1, `${c.interval} cycles no longer fits after FIFO sizing; trying the next design`);
  }
  const { chosen, design, verification, fifoSizing, resources, moved } = f!;
  const shortfall = f!.shortfall && f!.shortfall.resource === 'bram' ? withWeightNote(f!.shortfall, model, device) : f!.shortfall;
  const steady = verification?.steadyInterval ?? chosen.interval;
  const ips = (clockMhz * 1e6) / steady;
  const front = paretoFront(cands).map((c) => ({
    interval: c.interval,
    imagesPerSecond: (clockMhz * 1e6) / c.interval,
    lut: c.resources.lut,
    resources: c.resources,
    fits: c.fits,
    lnCp: c.lnCp,
  }));
  return {
    model: model.name,
    device: { name: device.name, capacity: device.capacity },
    clockMhz,
    objective,
    targetFps: req.targetFps ?? null,
    steadyInterval: steady,
    analyticInterval: chosen.interval,
    imagesPerSecond: ips,
    firstImageLatency: verification && verification.firstImageLatency > 0 ? verification.firstImageLatency : null,
    resources,
    fits: shortfall === null,
    imagesPerSecondPerKLut: ips / (resources.lut / 1000),
    bottleneck: chosen.bottleneck,
    channelsPerBeat: chosen.lnCp,
    headsPerUnit: chosen.headsPerUnit,
    choice: chosen.choice,
    tokensRun: g.tokens,
    movedToUram: moved,
    shortfall,
    verification,
    fifoSizing,
    pareto: front,
    candidatesEvaluated: cands.length,
    design,
  };
}

/** A model none of whose tensors the stage parallelisms vitpipe builds can divide (e.g. one channel per head). */
export function noBuildableDesign(model: ViTConfig, setting?: string): never {
  return fail('BAD_MODEL', `vitpipe can build no pipeline for this geometry${setting ? ` under ${setting}` : ''} (width ${model.width}, ${model.heads} heads, ${model.tokens} tokens): no combination of the stage parallelisms it builds divides the tensors`, `model ${model.name}`, "each stage's parallelism must divide its tensor's channels and tokens");
}
