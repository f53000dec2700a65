import type { Block, BlockKind, Design, Stream } from '../ir/index.ts';
import { bram18Count } from '../cost/index.ts';
import { fail } from '../diag/index.ts';
import { availableParallelism } from 'node:os';
import { openPool } from '../workers/index.ts';
import { simulateChain } from './run.ts';

/** Memory of one FIFO: bits, 18-Kb BRAM halves (src/cost's best tiling) for memory FIFOs, LUTRAM (64-bit) otherwise. */
export interface FifoMemory {
  bits: number;
  bram18: number;
  lutram64: number;
}

export function fifoMemory(depth: number, width: number, impl: Stream['impl']): FifoMemory {
  const bits = depth * width;
  if (impl === 'memory' && depth > 64) return { bits, bram18: bram18Count(depth, width), lutram64: 0 };
  return { bits, bram18: 0, lutram64: Math.ceil(depth / 64) * width };
}

export interface FifoSizing {
  /** Block kind the depth applies to (all blocks of that kind share it) and the representative simulated. */
  kind: BlockKind;
  representative: string;
  stream: string;
  lanes: number;
  bits: number;
  impl: Stream['impl'];
  original: number;
  /** Deepest occupancy the full flag saw in the representative's run with the original depths. */
  peak: number;
  sized: number;
  method: 'peak' | 'search' | 'unchanged';
  blocks: number;
}

export interface FifoSizeOptions {
  /** Images per isolated block run (default 3). */
  images?: number;
  /** Binary-search below the observed peak for FIFOs of at least this many bits (default 16,384; Infinity: off). */
  searchBits?: number;
  onProgress?: (msg: string) => void;
}

export interface FifoSizeResult {
  design: string;
  method: string;
  fifos: FifoSizing[];
  totals: { original: FifoMemory; sized: FifoMemory; savedBits: number; savedBram18: number; savedLutram64: number };
  /** Steady interval and first-image latency of each distinct block structure alone, before and after sizing. */
  verification: Array<{ block: string; interval: number; sizedInterval: number; latency: number; sizedLatency: number; deadlock: boolean }>;
  evaluations: number;
  sized: Design;
}

/** Replace the depth of the named streams of a block. */
export function withDepths(b: Block, depths: Map<string, number>): Block {
  return { ...b, streams: b.streams.map((s) => (depths.has(s.name) ? { ...s, depth: depths.get(s.name)! } : s)) };
}

/** Streams that are the same FIFO in every head (qq_head0, qq_head1, … / qk0.adpt, qk1.adpt, …) share a group. */
const groupKey = (name: string) => name.replace(/(head|qk|rv|^k|^v)\d+/g, '$1#');

/** One block kind sized on its representative (the first block of the kind). */
export interface KindSizing {
  kind: BlockKind;
  fifos: FifoSizing[];
  depths: Array<[string, number]>;
  evaluations: number;
}

type VerificationRow = FifoSizeResult['verification'][number];

/** The block kinds of a design, in the order they first occur, and the block each is sized on. */
const kindsOf = (d: Design) => [...new Set(d.blocks.map((b) => b.kind))];
const representative = (d: Design, kind: BlockKind) => d.blocks.find((b) => b.kind === kind)!;

const runAlone = (b: Block, linkDepth: number, images: number) => simulateChain([b], linkDepth, { images, maxCycles: (images + 3) * 400000 });

/**
 * Size the FIFOs of one block kind: (1) simulate its representative alone with the original depths and take each
 * FIFO's peak occupancy as seen by its full flag — at that depth no write ever waits, so the run is cycle-for-cycle
 * unchanged; (2) for FIFOs worth at least `searchBits`, binary-search below that depth (all heads' copies together),
 * keeping a depth only if the block stays deadlock-free and every output interval stays at or below the original
 * steady interval. Greedy, one FIFO group at a time, widest first.
 */
export function sizeKind(d: Design, kind: BlockKind, opts: FifoSizeOptions = {}): KindSizing {
  const images = opts.images ?? 3;
  const searchBits = opts.searchBits ?? 16384;
  let evaluations = 0;
  const run = (b: Block) => {
    evaluations++;
    return runAlone(b, d.linkDepth, images);
  };
  const rep = representative(d, kind);
  const count = d.blocks.filter((b) => b.kind === kind).length;
  opts.onProgress?.(`${rep.name}: baseline`);
  const base = run(rep);
  if (!base.completed) fail('DEADLOCK', `deadlocks with its own FIFO depths:\n${base.deadlock?.message}`, rep.name);
  const target = base.steadyInterval;
  const peak = new Map(base.fifos.map((f) => [f.stream, f.peak]));
  const depths = new Map<string, number>();
  const ports = new Set([rep.input.stream, rep.output.stream]);
  for (const s of rep.streams) if (!ports.has(s.name)) depths.set(s.name, Math.min(s.depth, Math.max(2, peak.get(s.name) ?? 2)));
  const method = new Map<string, FifoSizing['method']>();
  for (const s of rep.streams) method.set(s.name, depths.get(s.name) === s.depth ? 'unchanged' : 'peak');
  // Binary search per group, widest first.
  const groups = new Map<string, Stream[]>();
  for (const s of rep.streams) if (!ports.has(s.name)) (groups.get(groupKey(s.name)) ?? groups.set(groupKey(s.name), []).get(groupKey(s.name))!).push(s);
  const ordered = [...groups.values()].sort((a, b) => depths.get(b[0].name)! * b[0].lanes * b[0].bits - depths.get(a[0].name)! * a[0].lanes * a[0].bits);
  const passes = (trial: Map<string, number>) => {
    const r = run(withDepths(rep, trial));
    return r.completed && r.outputIntervals.every((x) => x <= target) && r.steadyInterval <= target;
  };
  for (const g of ordered) {
    const s0 = g[0];
    let hi = Math.max(...g.map((s) => depths.get(s.name)!));
    if (hi * s0.lanes * s0.bits < searchBits || hi <= 2) continue;
    let lo = 1; // fails or untested; hi passes
    opts.onProgress?.(`${rep.name}: searching ${groupKey(s0.name)} below ${hi}`);
    while (hi - lo > Math.max(1, Math.floor(hi / 64))) {
      const mid = Math.floor((lo + hi) / 2);
      const trial = new Map(depths);
      for (const s of g) trial.set(s.name, Math.min(depths.get(s.name)!, mid));
      if (passes(trial)) hi = mid;
      else lo = mid;
    }
    for (const s of g) {
      if (hi < depths.get(s.name)!) method.set(s.name, 'search');
      depths.set(s.name, Math.min(depths.get(s.name)!, hi));
    }
  }
  const fifos: FifoSizing[] = [];
  for (const s of rep.streams) {
    if (ports.has(s.name)) continue;
    fifos.push({
      kind, representative: rep.name, stream: s.name, lanes: s.lanes, bits: s.bits, impl: s.impl, original: s.depth,
      peak: peak.get(s.name) ?? 0, sized: depths.get(s.name)!, method: method.get(s.name)!, blocks: count,
    });
  }
  return { kind, fifos, depths: [...depths], evaluations };
}

/** A block simulated alone: what the verification compares before and after sizing. */
interface AloneFigures {
  interval: number;
  latency: number;
  completed: boolean;
}

export function aloneFigures(b: Block, linkDepth: number, images: number): AloneFigures {
  const r = runAlone(b, linkDepth, images);
  return { interval: r.steadyInterval, latency: r.perImage[0]?.firstInLastOut ?? -1, completed: r.completed };
}

function verificationRow(block: string, before: AloneFigures, after: AloneFigures): VerificationRow {
  return { block, interval: before.interval, sizedInterval: after.interval, latency: before.latency, sizedLatency: after.latency, deadlock: !after.completed };
}

/** The distinct block structures of a design (indices of their first blocks): each is verified once. */
function distinctStructures(d: Design): number[] {
  const seen = new Set<string>();
  const distinct: number[] = [];
  d.blocks.forEach((b, k) => {
    const key = JSON.stringify({ ...b, name: '', processes: b.processes.map((p) => ({ ...p, origin: '' })) });
    if (!seen.has(key)) distinct.push(k);
    seen.add(key);
  });
  return distinct;
}

function applySizing(d: Design, kinds: KindSizing[]): Design {
  const depthsByKind = new Map(kinds.map((k) => [k.kind, new Map(k.depths)]));
  return { ...d, name: `${d.name}-fifo-sized`, blocks: d.blocks.map((b) => withDepths(b, depthsByKind.get(b.kind)!)) };
}

/**
 * Size every FIFO of a design: each block kind on its representative (sizeKind), then the depths applied to every
 * block of the kind and each distinct block structure verified alone. Greedy and per-block: interactions between
 * blocks are not searched.
 */
export function sizeFifos(d: Design, opts: FifoSizeOptions = {}): FifoSizeResult {
  const images = opts.images ?? 3;
  const kinds = kindsOf(d).map((kind) => sizeKind(d, kind, opts));
  const sized = applySizing(d, kinds);
  const verification = distinctStructures(d).map((k) => {
    opts.onProgress?.(`verifying ${d.blocks[k].name}`);
    return verificationRow(d.blocks[k].name, aloneFigures(d.blocks[k], d.linkDepth, images), aloneFigures(sized.blocks[k], d.linkDepth, images));
  });
  return assembleSizing(d, opts, kinds, sized, verification);
}

/** Worker-thread tasks of sizeFifosConcurrently (fifo-size-worker.ts). */
export type FifoSizeTask =
  | { op: 'kind'; design: Design; kind: BlockKind; opts: Pick<FifoSizeOptions, 'images' | 'searchBits'> }
  | { op: 'alone'; block: Block; linkDepth: number; images: number };

export function runFifoSizeTask(t: FifoSizeTask): KindSizing | AloneFigures {
  return t.op === 'kind' ? sizeKind(t.design, t.kind, t.opts) : aloneFigures(t.block, t.linkDepth, t.images);
}

/**
 * sizeFifos over worker threads, with the same result: the block kinds are sized side by side (the largest first)
 * while the other thread also simulates the original blocks for the verification; then the sized blocks.
 */
export async function sizeFifosConcurrently(d: Design, opts: FifoSizeOptions & { threads?: number } = {}): Promise<FifoSizeResult> {
  const threads = opts.threads ?? availableParallelism();
  if (threads < 2) return sizeFifos(d, opts);
  const images = opts.images ?? 3;
  const pool = openPool(new URL('./fifo-size-worker.ts', import.meta.url), threads);
  try {
    const plain = { images: opts.images, searchBits: opts.searchBits };
    const kindNames = kindsOf(d);
    const size = (kind: BlockKind) => representative(d, kind).processes.length;
    const kindsDone = Promise.all(
      [...kindNames].sort((a, b) => size(b) - size(a)).map(async (kind) => {
        const k = await pool.run<FifoSizeTask, KindSizing>({ op: 'kind', design: d, kind, opts: plain });
        opts.onProgress?.(`${representative(d, kind).name}: ${kind} FIFOs sized (${k.evaluations} runs)`);
        return k;
      }),
    );
    const alone = (block: Block) => pool.run<FifoSizeTask, AloneFigures>({ op: 'alone', block, linkDepth: d.linkDepth, images });
    const distinct = distinctStructures(d);
    const beforeDone = Promise.all(distinct.map((k) => alone(d.blocks[k])));
    // Observed now: when a kind fails, closing the pool ends these runs too, and only the kind's error is reported.
    beforeDone.catch(() => {});
    // Kinds in the design's order, as sizeFifos gives them.
    const byKind = new Map((await kindsDone).map((k) => [k.kind, k]));
    const kinds = kindNames.map((kind) => byKind.get(kind)!);
    const sized = applySizing(d, kinds);
    const after = await Promise.all(distinct.map((k) => alone(sized.blocks[k])));
    const before = await beforeDone;
    opts.onProgress?.(`verified ${distinct.length} block structures`);
    return assembleSizing(d, opts, kinds, sized, distinct.map((k, i) => verificationRow(d.blocks[k].name, before[i], after[i])));
  } finally {
    await pool.close();
  }
}

function assembleSizing(d: Design, opts: FifoSizeOptions, kinds: KindSizing[], sized: Design, verification: VerificationRow[]): FifoSizeResult {
  // Every kind's own runs, and two per verified structure.
  const evaluations = kinds.reduce((a, k) => a + k.evaluations, 0) + 2 * verification.length;
  const images = opts.images ?? 3;
  const searchBits = opts.searchBits ?? 16384;
  const fifos = kinds.flatMap((k) => k.fifos);
  const total = (pick: (f: FifoSizing) => number): FifoMemory =>
    fifos.reduce(
      (acc, f) => {
        const c = fifoMemory(pick(f), f.lanes * f.bits, f.impl);
        return { bits: acc.bits + c.bits * f.blocks, bram18: acc.bram18 + c.bram18 * f.blocks, lutram64: acc.lutram64 + c.lutram64 * f.blocks };
      },
      { bits: 0, bram18: 0, lutram64: 0 },
    );
  const original = total((f) => f.original);
  const sizedCost = total((f) => f.sized);
  return {
    design: d.name,
    method:
      `per block kind, one representative simulated alone (${images} images, inputs every cycle): depth = peak occupancy seen by the full flag ` +
      `(cycle-for-cycle identical run), then a binary search below it for FIFOs of ≥ ${searchBits} bits (heads' copies together), keeping a ` +
      'depth only if the block stays deadlock-free at its original steady interval; greedy, one FIFO group at a time; inter-block FIFOs unchanged',
    fifos,
    totals: {
      original,
      sized: sizedCost,
      savedBits: original.bits - sizedCost.bits,
      savedBram18: original.bram18 - sizedCost.bram18,
      savedLutram64: original.lutram64 - sizedCost.lutram64,
    },
    verification,
    evaluations,
    sized,
  };
}
