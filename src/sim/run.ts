import { type Block, type Design, processCycles, structuralKey } from '../ir/index.ts';
import { CATEGORY_NAMES } from './core.ts';
import { findDeadlock, type DeadlockReport } from './deadlock.ts';
import { type Elaborated, elaborate } from './elaborate.ts';
import { MemoDivergence, type MemoGate } from './memo.ts';

export interface SimOptions {
  images: number;
  /** Event-skipping engine (default) or the per-cycle reference stepper. */
  engine?: 'fast' | 'reference';
  /** Stop (as a deadlock) after this many cycles (default: 50 M, or four times the rough length of a longer run). */
  maxCycles?: number;
  /** Collect per-bin busy/stall counts for a timeline with this many bins. */
  timelineBins?: number;
  /** Offer only this many input beats in total (default: unlimited, as in the RTL runs). */
  inputBeats?: number;
  /**
   * Memoise blocks that repeat an earlier block's (or their own previous image's) behaviour (memo.ts): the same
   * boundary timing, far fewer steps. Default: on for fast-engine chains of several blocks without a timeline.
   */
  memo?: boolean;
  /**
   * Called every 65,536 simulated cycles with the cycle reached (progress on long runs; a memoised run that rolls
   * back reports earlier cycles again).
   */
  onCycle?: (cycle: number) => void;
  /** When a memoised replay may begin (memo.ts DEFAULT_GATE); loosened only to test divergences and rollbacks. */
  memoGate?: MemoGate;
  /**
   * Step the stall-all loops' steady case with the compiled WebAssembly kernel (src/sim/kernel; default). False: the
   * same decisions in JavaScript — same results, slower (tests and bench:simulate compare the two).
   */
  compiled?: boolean;
  /**
   * Once a memoised run repeats itself (every block replayed, the boundary FIFOs as one period earlier), write its
   * rest down instead of replaying it (memo-periodic.ts; default). False replays it to the end: same results, tested.
   */
  periodicEnd?: boolean;
}

/** Per-image cycles as in FACTS.md: first/last input beat accepted, first/last output beat emitted. */
export interface ImageTimes {
  image: number;
  firstIn: number;
  lastIn: number;
  firstOut: number;
  lastOut: number;
  firstInLastIn: number;
  firstOutLastOut: number;
  firstInFirstOut: number;
  lastInLastOut: number;
  firstInLastOut: number;
}

export interface ProcessStats {
  name: string;
  block: string;
  busy: number;
  stalledIn: number;
  stalledOut: number;
  idle: number;
}

export interface FifoStats {
  name: string;
  block: string;
  stream: string;
  depth: number;
  peak: number;
}

export interface ChainResult {
  blocks: string[];
  images: number;
  completed: boolean;
  perImage: ImageTimes[];
  /** Distance between the last two images' last output beats (once it stopped changing, else the last one). */
  steadyInterval: number;
  /** Last-output intervals between consecutive images. */
  outputIntervals: number[];
  inputIntervals: number[];
  /** Input beats accepted beyond the reported images by the time the last reported image left. */
  extraInputBeats: number;
  simulatedCycles: number;
  steps: number;
  /** Of `steps`, those the compiled kernel took (0 with `compiled: false`, the reference engine or a timeline). */
  compiledSteps: number;
  processes: ProcessStats[];
  fifos: FifoStats[];
  /** Processes with the largest analytic cycles per image (the bottleneck). */
  bottleneck: string[];
  /** Each block's first and last output beat per image (cycle numbers), as seen at its output port. */
  blockWindows: Array<{ block: string; firstOut: number[]; lastOut: number[] }>;
  deadlock: DeadlockReport | null;
  /** Memoised run: blocks replayed (from which cycle, after which block, shifted by how many cycles), restarts. */
  memo: {
    replayed: Array<{ block: string; from: number; reference: string; shift: number }>;
    rollbacks: number;
    snapshotSeconds: number;
    statsExact: boolean;
    /** Cycle from which every block was replayed and the run went on with the replayers alone (null: it did not). */
    allReplayedFrom: number | null;
    /** Cycle from which the run repeated itself every `period` cycles, so that the rest was written down (null: not reached). */
    periodicFrom: { cycle: number; period: number } | null;
  } | null;
  timeline: { binCycles: number; bins: number; blocks: Array<{ name: string; busy: number[]; stalledIn: number[]; stalledOut: number[] }> } | null;
}

/** Simulate a chain of blocks (one block = that block alone) with inputs offered every cycle, outputs always ready. */
export function simulateChain(blocks: Block[], linkDepth: number, opts: SimOptions): ChainResult {
  const fast = opts.engine !== 'reference';
  // Set when a memoised run did not complete: the plain run below is then for the diagnosis.
  let diagnose = false;
  // Memoised by default for chains of several blocks; never with the reference stepper or a timeline (per-cycle data).
  if (fast && !opts.timelineBins && (opts.memo ?? blocks.length > 2)) {
    const shapes = new Map<Block, string>();
    const shapeOf = (b: Block) => shapes.get(b) ?? shapes.set(b, structuralKey(b)).get(b)!;
    const e = elaborate(blocks, linkDepth, true, opts.inputBeats, { shapeOf, gate: opts.memoGate }, { compiled: opts.compiled });
    const m = e.memo!;
    let completed = false;
    // A diverged replay rolls the whole simulation back to where it began and goes on without it.
    while (true) {
      try {
        completed = runElaborated(e, blocks, opts);
        if (completed) m.finalStats(e.sim.now);
        break;
      } catch (err) {
        if (!(err instanceof MemoDivergence)) throw err;
        m.rollback(err);
      }
    }
    // A run that did not complete is diagnosed without replays (their processes' waits are not live), and without
    // the kernel's patience (it may have stopped a few cycles after the deadlock).
    if (completed || (m.entries === 0 && !e.sim.kernelWaits)) {
      const r = summarise(e, blocks, opts.images, completed, completed ? null : findDeadlock(e), blocks[0].input.beatsPerImage);
      const replayed = m.replayedCells();
      r.memo = {
        replayed,
        rollbacks: m.divergences,
        snapshotSeconds: (m.snapshotMs + m.restoreMs) / 1000,
        statsExact: replayed.length === 0,
        allReplayedFrom: m.replayPhaseFrom >= 0 ? m.replayPhaseFrom : null,
        periodicFrom: m.periodicEnd && { cycle: m.periodicEnd.from, period: m.periodicEnd.period },
      };
      return r;
    }
    diagnose = true;
  }
  const plain = (patience?: number) => {
    const e = elaborate(blocks, linkDepth, fast, opts.inputBeats, undefined, { compiled: opts.compiled, patience });
    return { e, completed: runElaborated(e, blocks, opts) };
  };
  // The kernel keeps blocked processes awake a few cycles, so a deadlocked run stops a little late: re-simulate it
  // with processes sleeping at once for the exact last cycle (deadlocks are rare and mostly found early).
  let { e, completed } = plain(diagnose ? 0 : undefined);
  if (!completed && e.sim.kernelWaits) ({ e, completed } = plain(0));
  return summarise(e, blocks, opts.images, completed, completed ? null : findDeadlock(e), blocks[0].input.beatsPerImage);
}

function runElaborated(e: Elaborated, blocks: Block[], opts: SimOptions): boolean {
  const last = blocks[blocks.length - 1];
  const target = opts.images * last.output.beatsPerImage;
  if (opts.timelineBins) {
    // A rough horizon for binning: the analytic per-image interval times the images plus a fill allowance.
    e.sim.enableTimeline(Math.max(1, Math.ceil(estimateCycles(blocks, opts.images) / opts.timelineBins)), opts.timelineBins);
  }
  e.sim.onTick = opts.onCycle ?? null;
  if (e.memo && opts.periodicEnd !== false) e.memo.endBeats = target;
  // Stop as a deadlock after 50 M cycles, or four times the rough length of a long run.
  const completed = e.sim.run(() => e.sink.beats >= target, opts.maxCycles ?? Math.max(5e7, 4 * estimateCycles(blocks, opts.images)));
  // Memo: the end-of-run check may still find a divergence (then the run goes on from a rollback, not finished).
  if (completed && e.memo) e.memo.checkEnd(e.sim.now);
  e.sim.finish();
  return completed;
}

/** A rough number of cycles a chain takes for `images` images (timeline bins, progress reports). */
export function estimateCycles(blocks: Block[], images: number): number {
  return (images + blocks.length * 0.6 + 2) * 60000;
}

function summarise(e: Elaborated, blocks: Block[], images: number, completed: boolean, deadlock: DeadlockReport | null, inPerImage: number): ChainResult {
  const { source, sink, sim } = e;
  const perImage: ImageTimes[] = [];
  for (let n = 0; n < images; n++) {
    if (sink.last[n] === undefined || (n + 1) * blocks[blocks.length - 1].output.beatsPerImage > sink.beats) break;
    const t = { firstIn: source.first[n], lastIn: source.last[n], firstOut: sink.first[n], lastOut: sink.last[n] };
    perImage.push({
      image: n,
      ...t,
      firstInLastIn: t.lastIn - t.firstIn,
      firstOutLastOut: t.lastOut - t.firstOut,
      firstInFirstOut: t.firstOut - t.firstIn,
      lastInLastOut: t.lastOut - t.lastIn,
      firstInLastOut: t.lastOut - t.firstIn,
    });
  }
  const diffs = (a: number[]) => a.slice(1).map((x, i) => x - a[i]);
  const outputIntervals = diffs(perImage.map((p) => p.lastOut));
  const inputIntervals = diffs(source.first.filter((x) => x !== undefined));
  const steadyInterval = outputIntervals.length ? outputIntervals[outputIntervals.length - 1] : perImage[0]?.firstInLastOut ?? 0;
  const names = blocks.map((b) => b.name);
  const S = sim.stats;
  const processes: ProcessStats[] = sim.procs
    .filter((p) => p.block >= 0 && !p.post)
    .map((p) => {
      const o: ProcessStats = { name: p.name, block: names[p.block], busy: 0, stalledIn: 0, stalledOut: 0, idle: 0 };
      CATEGORY_NAMES.forEach((k, j) => (o[k] = S[p.id * 4 + j]));
      return o;
    });
  const F = sim.fifos;
  const fifos: FifoStats[] = [];
  for (let f = 0; f < F.count; f++) {
    const s = e.fifoStream[f];
    if (!s) continue;
    fifos.push({ name: F.info[f].name, block: names[s.block], stream: s.stream, depth: F.depth(f), peak: F.peak(f) });
  }
  // The bottleneck: the processes with the largest analytic cycles per image (estimate = simulation, see tests).
  const cyclesOf = new Map<string, number>();
  blocks.forEach((b) => b.processes.forEach((p) => cyclesOf.set(`${b.name}.${p.name}`, processCycles(p))));
  const maxCycles = Math.max(0, ...cyclesOf.values());
  const bottleneck = [...cyclesOf.entries()].filter(([, c]) => c === maxCycles).map(([n]) => n);
  let timeline: ChainResult['timeline'] = null;
  const tl = sim.timeline;
  if (tl) {
    const n = sim.procs.length;
    const bins = Math.min(tl.bins, Math.ceil(sim.now / tl.bin));
    timeline = {
      binCycles: tl.bin,
      bins,
      blocks: names.map((name, bi) => {
        const ids = sim.procs.filter((p) => p.block === bi && !p.post).map((p) => p.id);
        const series = (cat: number) =>
          Array.from({ length: bins }, (_, b) => ids.reduce((s, id) => s + tl.data[(b * n + id) * 4 + cat], 0) / (ids.length * tl.bin));
        return { name, busy: series(0), stalledIn: series(1), stalledOut: series(2) };
      }),
    };
  }
  const recorders = [...e.outputs, e.sink];
  const blockWindows = recorders.map((r, k) => ({ block: names[k], firstOut: [...r.first], lastOut: [...r.last] }));
  return {
    blocks: names,
    blockWindows,
    images,
    completed,
    perImage,
    steadyInterval,
    outputIntervals,
    inputIntervals,
    extraInputBeats: Math.max(0, source.beats - images * inPerImage),
    simulatedCycles: sim.now,
    steps: sim.steps,
    compiledSteps: sim.compiledSteps,
    processes,
    fifos,
    bottleneck,
    deadlock,
    memo: null,
    timeline,
  };
}

/** Simulate a whole design end to end. */
export function simulateNetwork(d: Design, opts: SimOptions): ChainResult {
  return simulateChain(d.blocks, d.linkDepth, opts);
}
