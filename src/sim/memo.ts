/**
 * Memoised simulation of a chain of blocks (DATAFLOW's whole-network runs): a block whose complete logical state,
 * taken when it reads the first beat of an image, equals the state of an earlier block of the same structure (or of
 * itself one image earlier) at the same point, behaves exactly as that block did from then on — shifted in time —
 * for as long as its neighbours do too. Such a block is frozen and replaced by a replayer that performs the
 * recorded boundary accesses (reads of its input FIFO, writes of its output FIFO) at the shifted cycles, while every
 * access its neighbours make to those two FIFOs is checked against the reference's. Any mismatch is a divergence:
 * the whole run is discarded and repeated without that replay (run.ts), so results never depend on a guess.
 *
 * What stays exact: every beat's cycle on every block boundary, hence per-image figures, block windows, intervals and
 * deadlocks. Per-process busy/stall counts and FIFO peaks of replayed blocks are carried over from the reference at
 * each image boundary and pro-rated over the last, partial image (`statsExact` is false then).
 */
import type { Scheduler } from './core.ts';
import { type Fifos, REC } from './fifos.ts';
import { type Cell, History, MemoDivergence, type Replay, type ReplayProc, sameWindow } from './memo-cells.ts';
import { type Snapshot, snapshot } from './snapshot.ts';
import { BoundaryLog, LOG_EVERY, PeriodicEnd, boundaryState } from './memo-periodic.ts';
import { type SinkProc, type SourceProc, countBeat } from './testbench.ts';

export { type Cell, MemoDivergence, ReplayProc, cellsOf } from './memo-cells.ts';

export interface MemoGate {
  /**
   * The first checkpoint (image) at which a block's replay may begin. HG-PIPE's blocks settle into periodic
   * behaviour by their fifth image; their first images and those of the next block of the same kind differ by
   * single cycles (measured), so earlier replays diverge and cost a rollback of the whole simulation.
   */
  firstEntry: number;
  /** Images of neighbour behaviour that must equal the reference's (shifted) before a replay begins. */
  images: number;
}
export const DEFAULT_GATE: MemoGate = { firstEntry: 4, images: 1 };
/** Snapshots leave the FIFOs' rings to Fifos.saveBeats (only the beats they hold). */
const RING: ReadonlySet<string> = new Set(['ring']);
/** Earlier occurrences of one state kept as replay references (the latest first). */
const SEEN_PER_STATE = 6;

interface Checkpoint {
  cycle: number;
  stats: Float64Array;
  peaks: Int32Array;
}

interface Seen {
  cell: number;
  checkpoint: number;
  cycle: number;
  inW: number;
  outW: number;
  /** The state (digest's numbers). */
  state: Float64Array;
}

export class Memo {
  readonly writes: Array<History | null>;
  readonly reads: Array<History | null>;
  /** Cell that writes / reads each boundary FIFO (−1: testbench or not a boundary). */
  readonly producerCell: Int32Array;
  readonly consumerCell: Int32Array;
  /** Per boundary FIFO: input beats per image of the memoable cell reading it (checkpoints), else 0; and the reads
   * until (and including) the next one that begins an image (counted down: no division per access). */
  private readonly imageBeats: Int32Array;
  private readonly toImage: Int32Array;
  readonly replay: Array<Replay | null>;
  readonly checkpoints: Checkpoint[][];
  /** Earlier checkpoints by a hash of their state: per distinct state, its occurrences (the latest first). */
  private readonly seen = new Map<number, Seen[][]>();
  /** Called after every checkpoint a cell takes (state as of the end of `cycle`); for analyses such as bench/transient.ts. */
  onCheckpoint: ((cell: number, checkpoint: number, cycle: number) => void) | null = null;
  private pending: number[] = [];
  readonly replayers: ReplayProc[] = [];
  entries = 0;
  /** Every cell replayed: the rest of the run is the replayers' and the testbench's (runReplayed). */
  allReplayed = false;
  /** Cycle from which runReplayed stepped the run (−1: it did not). */
  replayPhaseFrom = -1;
  /** The sink's beats at which the run ends (runElaborated sets it; the periodic end needs it). */
  endBeats = Infinity;
  /** The boundary FIFOs (every cell's input and output), and their states logged every LOG_EVERY cycles. */
  private readonly boundary: number[];
  private readonly log = new BoundaryLog();
  /** Scheduler.run logs the boundary at the start of every cycle c with (c & logMask) = 0. */
  readonly logMask = LOG_EVERY - 1;
  /** Cycle from which the rest of the run was written down as periodic, and the period (memo-periodic.ts). */
  periodicEnd: { from: number; period: number } | null = null;
  /** The testbench ends (elaborate sets them). */
  testbench: { source: SourceProc; sink: SinkProc } | null = null;
  /** Per replayed cell: the whole simulation as it was just before it was frozen. */
  private rollbacks: Array<Snapshot | null> = [];
  /** Replays that diverged and were rolled back. */
  divergences = 0;
  snapshotMs = 0;
  restoreMs = 0;

  /** Entries ("cell@checkpoint") not to take again, and per cell the cycle up to which no replay may begin: what
   * diverged before. Kept across rollbacks (they are not part of the snapshots). */
  private readonly excluded = new Set<string>();
  private readonly blockedUntil = new Map<number, number>();

  constructor(
    readonly sim: Scheduler,
    readonly cells: Cell[],
    /** When a replay may begin (defaults: DEFAULT_GATE); tests loosen it to exercise divergences and rollbacks. */
    readonly gate: MemoGate = DEFAULT_GATE,
  ) {
    const F = sim.fifos;
    this.writes = new Array(F.count).fill(null);
    this.reads = new Array(F.count).fill(null);
    this.producerCell = new Int32Array(F.count).fill(-1);
    this.consumerCell = new Int32Array(F.count).fill(-1);
    this.imageBeats = new Int32Array(F.count);
    this.toImage = new Int32Array(F.count).fill(1);
    for (const c of cells) {
      this.consumerCell[c.inB] = c.index;
      if (c.memoable) this.imageBeats[c.inB] = c.inPerImage;
      this.producerCell[c.outB] = c.index;
      for (const f of [c.inB, c.outB]) {
        this.writes[f] ??= new History();
        this.reads[f] ??= new History();
        F.s[(f << 4) + REC] = 1;
      }
    }
    this.replay = cells.map(() => null);
    this.boundary = [...new Set(cells.flatMap((x) => [x.inB, x.outB]))];
    this.checkpoints = cells.map(() => []);
    this.rollbacks = cells.map(() => null);
  }

  /** The scheduler, FIFOs, processes, start controllers and this memo's own records, restorable in one call. */
  private snapshotAll(): Snapshot {
    const sim = this.sim;
    const objects: object[] = [sim.fifos, sim];
    for (const p of sim.procs) {
      objects.push(p);
      const st = (p as { start?: object }).start;
      if (st) objects.push(st);
    }
    // Of the FIFOs' rings only the beats they hold (most of a deep FIFO's ring is stale).
    const whole = snapshot(objects, RING);
    const beats = sim.fifos.saveBeats();
    const lengths = [...this.writes, ...this.reads].map((h) => h?.n ?? 0);
    const seen = new Map(this.seen);
    const checkpoints = this.checkpoints.map((a) => a.slice());
    const replay = this.replay.slice();
    const rollbacks = this.rollbacks.slice();
    const pending = this.pending.slice();
    const entries = this.entries;
    const replayers = this.replayers.map((r) => r.save());
    return {
      restore: () => {
        whole.restore();
        sim.fifos.restoreBeats(beats);
        this.log.dropFrom(sim.now);
        [...this.writes, ...this.reads].forEach((h, i) => h && (h.n = lengths[i]));
        this.reads.forEach((h, f) => {
          const per = this.imageBeats[f];
          if (h && per > 0) this.toImage[f] = Math.ceil(h.n / per) * per - h.n + 1;
        });
        this.seen.clear();
        for (const [k, v] of seen) this.seen.set(k, v);
        checkpoints.forEach((a, k) => (this.checkpoints[k] = a.slice()));
        replay.forEach((r, k) => (this.replay[k] = r));
        this.rollbacks = rollbacks.slice();
        this.pending = pending.slice();
        this.entries = entries;
        this.updateAllReplayed();
        this.replayPhaseFrom = -1;
        this.periodicEnd = null;
        this.replayers.forEach((r, k) => r.load(replayers[k]));
      },
    };
  }

  /** Undo a diverged replay: back to just before it began, never to be taken again. */
  rollback(d: MemoDivergence): void {
    const s = this.rollbacks[d.cell];
    if (!s) throw new Error(`memo: no rollback point for cell ${d.cell}`);
    const t0 = performance.now();
    s.restore();
    this.restoreMs += performance.now() - t0;
    this.excluded.add(d.entry);
    // Its neighbours changed their ways at that cycle: an earlier entry would only diverge there again.
    this.blockedUntil.set(d.cell, Math.max(this.blockedUntil.get(d.cell) ?? -Infinity, d.cycle));
    this.divergences++;
  }

  /**
   * Every access to a boundary FIFO (by anyone: the kernel's events, wake.ts, Scheduler.commit) comes to onWrite or
   * onRead: recorded, and checked against a replay's reference. A write to boundary FIFO f in cycle c:
   */
  onWrite(f: number, c: number): void {
    const n = this.writes[f]!.push(c);
    // A neighbour's access to a replayed cell's boundary must happen when the reference's neighbour's did.
    const k = this.consumerCell[f];
    const r = k >= 0 ? this.replay[k] : null;
    if (r !== null) this.expect(r, k, r.inWrites, n - r.sIn, f, true, n, c);
  }

  /** A read of boundary FIFO f in cycle c. */
  onRead(f: number, c: number): void {
    const n = this.reads[f]!.push(c);
    const k = this.producerCell[f];
    const r = k >= 0 ? this.replay[k] : null;
    if (r !== null) this.expect(r, k, r.outReads, n - r.sOut, f, false, n, c);
    // The consumer reading the first beat of an image: a checkpoint (state compared at the end of this cycle).
    if (--this.toImage[f] === 0) {
      const per = this.imageBeats[f];
      this.toImage[f] = per;
      if (per > 0) {
        const kc = this.consumerCell[f];
        if (this.replay[kc]) this.replayedCheckpoint(kc, c);
        else this.pending.push(kc);
      }
    }
  }

  /** Beat n of f, accessed in cycle c, must be the reference's beat i of refH, shifted. */
  private expect(r: Replay, k: number, refH: History, i: number, f: number, write: boolean, n: number, c: number): void {
    const expected = i >= 0 && i < refH.n ? refH.t[i] + r.delta : NaN;
    if (expected !== c) throw new MemoDivergence(k, r.entry, `${write ? 'write' : 'read'} of beat ${n} of ${this.sim.fifos.info[f].name} at cycle ${c}, reference expects ${expected}`, c);
  }

  /** Log the boundary's state at the start of cycle c (for the periodic end). */
  logBoundary(c: number): void {
    this.log.record(c, boundaryState(this, this.boundary, c));
  }

  /** At the start of cycle c (state as of the end of c − 1): process pending checkpoints. */
  atCycleStart(c: number): void {
    // In cell order: the order in which the accesses came (compiled kernel or JavaScript) must not matter.
    if (this.pending.length > 1) this.pending.sort((a, b) => a - b);
    while (this.pending.length) this.checkpoint(this.pending.shift()!, c - 1);
  }
  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  private checkpoint(k: number, c: number): void {
    const cell = this.cells[k];
    const F = this.sim.fifos;
    const idx = this.checkpoints[k].length;
    this.checkpoints[k].push({ cycle: c, stats: this.statsNow(cell, c + 1), peaks: this.peaksNow(cell) });
    const state = Float64Array.from(this.stateOf(cell, c));
    this.onCheckpoint?.(k, idx, c);
    const here: Seen = { cell: k, checkpoint: idx, cycle: c, inW: F.s[cell.inB << 4], outW: F.s[cell.outB << 4], state };
    const key = hashState(state);
    const groups = this.seen.get(key)?.slice() ?? [];
    const g = groups.findIndex((x) => sameState(x[0].state, state));
    const seen = g >= 0 ? groups[g] : [];
    if (g >= 0) groups[g] = [here, ...seen].slice(0, SEEN_PER_STATE);
    else groups.push([here]);
    this.seen.set(key, groups);
    const entry = `${k}@${idx}`;
    if (seen.length === 0 || this.excluded.has(entry) || c <= (this.blockedUntil.get(k) ?? -Infinity)) return;
    // Candidates: the block itself an image or more ago first (periodic), then the latest other blocks.
    const order = [...seen.filter((p) => p.cell === k), ...seen.filter((p) => p.cell !== k)];
    let r: Replay | null = null;
    for (const prev of order) {
      const ref = this.cells[prev.cell];
      const cand: Replay = {
        ref: prev.cell, delta: c - prev.cycle, sIn: here.inW - prev.inW, sOut: here.outW - prev.outW, anchor: idx, refAnchor: prev.checkpoint, entry,
        inStart: -1, outStart: -1, inWrites: this.writes[ref.inB]!, inReads: this.reads[ref.inB]!, outWrites: this.writes[ref.outB]!, outReads: this.reads[ref.outB]!,
      };
      if (this.neighboursAgree(k, cand)) {
        r = cand;
        break;
      }
    }
    if (!r) return;
    // Where to come back to if this replay diverges (the checkpoint itself is kept: it was simulated in full).
    const t0 = performance.now();
    this.rollbacks[k] = this.snapshotAll();
    this.snapshotMs += performance.now() - t0;
    this.replay[k] = r;
    this.entries++;
    const start = c + 1;
    for (const p of cell.procs) this.sim.freeze(p, start);
    this.replayers[k].activate(r, start);
    this.updateAllReplayed();
  }

  private updateAllReplayed(): void {
    this.allReplayed = this.testbench !== null && this.replay.every((x) => x !== null);
  }

  /**
   * The rest of a run once every cell is replayed (Scheduler.run hands over at the start of a cycle): only the
   * replayers, the testbench's source and sink and the boundary FIFOs are left, so they are stepped here directly,
   * without the scheduler's lists, wheel and accounting. Same accesses in the same cycles: a replayer steps when it
   * would have woken, the source writes whenever the input port has room and the sink reads whenever a beat is
   * readable, which is when the scheduler would step them (they sleep only until that changes). Returns as run().
   */
  runReplayed(done: () => boolean, maxCycles: number): boolean {
    const sim = this.sim;
    const F = sim.fifos;
    const { source, sink } = this.testbench!;
    const reps = this.replayers;
    const next = reps.map((r) => sim.nextStepOf(r.id));
    this.replayPhaseFrom = sim.now;
    const periodic = this.endBeats < Infinity && source.limit === Infinity ? new PeriodicEnd(this, this.boundary, this.log, this.endBeats, maxCycles, sim.now) : null;
    while (true) {
      const c = sim.now;
      sim.tick(c);
      if ((c & this.logMask) === 0) this.logBoundary(c);
      if (periodic !== null && c === periodic.next) {
        const end = periodic.look(c);
        if (end >= 0) {
          this.periodicEnd = { from: c, period: periodic.period };
          sim.now = end + 1;
          return true;
        }
      }
      if (this.pending.length) this.atCycleStart(c);
      let steps = 2;
      for (let k = 0; k < reps.length; k++)
        if (next[k] <= c) {
          next[k] = reps[k].advance(c);
          steps++;
        }
      if (source.beats < source.limit && F.canWrite(source.outF, c)) {
        sim.write(source.outF, c);
        countBeat(source, c);
      }
      if (F.canRead(sink.inF, c)) {
        sim.read(sink.inF, c);
        countBeat(sink, c);
      }
      sim.steps += steps;
      sim.now = c + 1;
      if (done()) return true;
      if (sim.now > maxCycles) return false;
    }
  }

  /**
   * Whether the neighbours are likely to go on as the reference's did (a wrong guess costs a rollback of the whole
   * simulation): over each of the last `gate.images` images, the upstream's writes and the downstream's reads equal
   * the reference's, shifted. A block's first images are therefore always simulated in full (following another
   * block from birth diverges too often: consecutive blocks' first images differ by single cycles).
   */
  private neighboursAgree(k: number, r: Replay): boolean {
    const cps = this.checkpoints[k];
    if (cps.length <= Math.max(this.gate.images, this.gate.firstEntry)) return false;
    const cell = this.cells[k];
    const ref = this.cells[r.ref];
    const t0 = cps[cps.length - 1 - this.gate.images].cycle;
    const t1 = cps[cps.length - 1].cycle;
    return (
      sameWindow(this.writes[cell.inB]!, this.writes[ref.inB]!, r.sIn, r.delta, t0, t1) &&
      sameWindow(this.reads[cell.outB]!, this.reads[ref.outB]!, r.sOut, r.delta, t0, t1)
    );
  }

  /** A replayed cell's checkpoint: its statistics follow the reference's over the same number of images. */
  replayedCheckpoint(k: number, c: number): void {
    const r = this.replay[k]!;
    const own = this.checkpoints[k];
    const d = own.length - r.anchor;
    const refCps = this.checkpoints[r.ref];
    const a = own[r.anchor];
    const from = refCps[r.refAnchor];
    const to = refCps[r.refAnchor + d];
    if (!to) throw new MemoDivergence(k, r.entry, `reference checkpoint ${r.refAnchor + d} missing`, c);
    const stats = a.stats.map((v, i) => v + to.stats[i] - from.stats[i]);
    const peaks = a.peaks.map((v, i) => Math.max(v, to.peaks[i]));
    own.push({ cycle: c, stats, peaks });
  }

  /**
   * Logical state of a cell at the end of cycle c, as a string: every process's own state (pipeline stages,
   * counters, start flags, pending bulk steps), every FIFO's occupancy and its beats' write cycles relative to c
   * (beats readable from c + 1 on are all alike), and the occupancy of the output boundary.
   */
  digest(cell: Cell, c: number): string {
    return this.stateOf(cell, c).join(',');
  }
  private stateOf(cell: Cell, c: number): number[] {
    const out: number[] = [cell.shape];
    this.appendState(cell, c, out, null);
    return out;
  }

  /**
   * The parts of that state: one array per process of the cell (its own state, then its pending bulk step), one per
   * FIFO of `cell.fifos` and the input boundary, and the output boundary's occupancy last.
   */
  cellState(cell: Cell, c: number): number[][] {
    const out: number[] = [];
    const ends: number[] = [];
    this.appendState(cell, c, out, ends);
    return ends.map((e, i) => out.slice(i === 0 ? 0 : ends[i - 1], e));
  }

  /** Append the cell's state to `out` (one flat array: checkpoints compare thousands of numbers); `ends` gets each part's end. */
  private appendState(cell: Cell, c: number, out: number[], ends: number[] | null): void {
    for (const p of cell.procs) {
      this.sim.procs[p].memoState?.(out, c);
      out.push(this.sim.skipAhead(p, c));
      ends?.push(out.length);
    }
    const F = this.sim.fifos;
    for (const f of [...cell.fifos, cell.inB]) {
      fifoState(F, f, c, out);
      ends?.push(out.length);
    }
    out.push(F.level(cell.outB));
    ends?.push(out.length);
  }

  private statsNow(cell: Cell, t: number): Float64Array {
    const s = new Float64Array(cell.procs.length * 4);
    cell.procs.forEach((p, i) => this.sim.statsAsOf(p, t, s, i * 4));
    return s;
  }
  private peaksNow(cell: Cell): Int32Array {
    return Int32Array.from(cell.fifos, (f) => this.sim.fifos.peak(f));
  }

  /** End of run (cycle `end`, exclusive): no neighbour access a replay expected may be missing (else it diverged). */
  checkEnd(end: number): void {
    // A written-down end continued every boundary beat from the replays themselves: nothing can be missing.
    if (this.periodicEnd) return;
    this.cells.forEach((cell, k) => {
      const r = this.replay[k];
      if (!r) return;
      const ref = this.cells[r.ref];
      const check = (h: History, refH: History, shift: number, what: string) => {
        const i = h.n - shift;
        if (i >= 0 && i < refH.n && refH.t[i] + r.delta < end)
          throw new MemoDivergence(k, r.entry, `${what} beat ${h.n} expected at cycle ${refH.t[i] + r.delta} did not happen`, refH.t[i] + r.delta);
      };
      check(this.writes[cell.inB]!, this.writes[ref.inB]!, r.sIn, 'input');
      check(this.reads[cell.outB]!, this.reads[ref.outB]!, r.sOut, 'output');
    });
  }

  /** The replayed processes' statistics and FIFO peaks: at their last checkpoint, plus the partial image pro-rated. */
  finalStats(end: number): void {
    this.cells.forEach((cell, k) => {
      if (!this.replay[k]) return;
      const cps = this.checkpoints[k];
      const last = cps[cps.length - 1];
      const before = cps[cps.length - 2];
      const frac = before && last.cycle > before.cycle ? (end - 1 - last.cycle) / (last.cycle - before.cycle) : 0;
      cell.procs.forEach((p, i) => {
        for (let j = 0; j < 4; j++) {
          const v = last.stats[i * 4 + j];
          this.sim.stats[p * 4 + j] = v + (before ? frac * (v - before.stats[i * 4 + j]) : 0);
        }
      });
      cell.fifos.forEach((f, i) => this.sim.fifos.setPeak(f, last.peaks[i]));
    });
  }

  replayedCells(): Array<{ block: string; from: number; reference: string; shift: number }> {
    const out: Array<{ block: string; from: number; reference: string; shift: number }> = [];
    this.cells.forEach((cell, k) => {
      const r = this.replay[k];
      if (r) out.push({ block: cell.name, from: this.replayers[k].from, reference: this.cells[r.ref].name, shift: r.delta });
    });
    return out;
  }
}


/** FNV-1a over the state's numbers (their low 32 bits: equal states hash alike, and a match is compared in full). */
function hashState(a: Float64Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < a.length; i++) h = Math.imul(h ^ (a[i] | 0), 0x01000193);
  return h;
}

function sameState(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(a[i] !== a[i] && b[i] !== b[i])) return false;
  return true;
}

function fifoState(F: Fifos, f: number, c: number, out: number[]): void {
  const s = F.s;
  const o = f << 4;
  const wr = s[o];
  const rd = s[o + 1];
  const lat = s[o + 5];
  out.push(wr - rd);
  for (let i = rd; i < wr; i++) out.push(Math.max(F.ring[s[o + 6] + (i & s[o + 7])] - c, 1 - lat));
}
