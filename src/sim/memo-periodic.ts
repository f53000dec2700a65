/**
 * The periodic end of a memoised run. Once every block is replayed (Memo.runReplayed), each block's boundary beats
 * are copies of a reference's: of its own, one period P earlier, or of another block's, which are in turn copies.
 * When every chain of references ends in a block that copies itself with the same P, every replayed beat from some
 * cycle T* on recurs P cycles and a fixed number of beats later (`periodicFrom`). What is left — the beats the
 * testbench's source and sink take, and every boundary FIFO's contents — is then periodic as soon as the FIFOs hold
 * the same beats, relative to now, as one period earlier: the whole run repeats itself from there, every check a
 * replay makes included. So the rest of the run is not simulated but written down, per image and per FIFO: the cycle
 * in which the sink takes its last beat, and the FIFO records, the testbench's and the block outputs' per-image
 * windows, the replayers' positions and the replayed blocks' checkpoints as the step-by-step replay would have left
 * them there (tested against it). The histories themselves are not continued (nothing reads them again; the
 * end-of-run check, which they would pass by construction, is skipped).
 */
import { BASE, CAP, LAT, LRD, LWR, RD, WR } from './fifos.ts';
import type { History, Replay } from './memo-cells.ts';
import type { Memo } from './memo.ts';
import type { ImageBeats } from './testbench.ts';

/** A replayed block's input reads or output writes: periodic (m beats, `period` cycles) from beat index `from` on. */
interface Periodic {
  m: number;
  period: number;
  from: number;
}

/**
 * The common period of all replays and the cycle from which every replayed boundary beat is periodic (null: the
 * references do not end in self-copies of one period, or that cycle is not known yet because the beat it starts
 * from has not happened).
 */
export function periodicFrom(memo: Memo): { period: number; from: number } | 'later' | null {
  const memoIn = new Map<number, Periodic | null>();
  const memoOut = new Map<number, Periodic | null>();
  // Follow the references (at most one per block: a loop of references has no self-copy to end in).
  const resolve = (k: number, input: boolean, depth: number): Periodic | null => {
    const cache = input ? memoIn : memoOut;
    if (cache.has(k)) return cache.get(k)!;
    const r: Replay | null = memo.replay[k];
    let p: Periodic | null = null;
    if (r && depth <= memo.cells.length) {
      const start = input ? r.inStart : r.outStart;
      const shift = input ? r.sIn : r.sOut;
      if (r.ref === k) p = { m: shift, period: r.delta, from: start };
      else {
        const q = resolve(r.ref, input, depth + 1);
        // e(i) = e_ref(i − shift) + delta: periodic where both i and i − m are replayed and i − shift is periodic.
        if (q) p = { m: q.m, period: q.period, from: Math.max(start + q.m, q.from + shift) };
      }
    }
    cache.set(k, p);
    return p;
  };
  let period = 0;
  let from = -Infinity;
  for (const cell of memo.cells) {
    for (const input of [true, false]) {
      const p = resolve(cell.index, input, 0);
      if (!p || p.m <= 0 || (period && p.period !== period)) return null;
      period = p.period;
      const h = input ? memo.reads[cell.inB]! : memo.writes[cell.outB]!;
      if (p.from >= h.n) return 'later';
      from = Math.max(from, h.t[Math.max(p.from, 0)]);
    }
  }
  return { period, from };
}

/** The boundary FIFOs' contents at the start of cycle c: per FIFO its occupancy and its beats' write cycles relative to c. */
export function boundaryState(memo: Memo, fifos: number[], c: number): Int32Array {
  const F = memo.sim.fifos;
  const s = F.s;
  let n = 0;
  for (const f of fifos) n += 1 + s[(f << 4) + WR] - s[(f << 4) + RD];
  const out = new Int32Array(n);
  let at = 0;
  for (const f of fifos) {
    const o = f << 4;
    const wr = s[o + WR];
    const rd = s[o + RD];
    out[at++] = wr - rd;
    // A beat readable now is like any other readable one.
    for (let i = rd; i < wr; i++) out[at++] = Math.max(F.ring[s[o + BASE] + (i & s[o + CAP])] - c, -s[o + LAT]);
  }
  return out;
}

function sameState(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Boundary states taken every LOG_EVERY cycles (the last LOG_KEPT of them), so that the periodic end can compare
 * against one a period back as soon as every replayed beat is periodic, instead of waiting a period to take one. */
export const LOG_EVERY = 1024;
const LOG_KEPT = 128;
export class BoundaryLog {
  private readonly cycles = new Float64Array(LOG_KEPT).fill(-1);
  private readonly states: Array<Int32Array | null> = new Array(LOG_KEPT).fill(null);
  private next = 0;
  record(c: number, state: Int32Array): void {
    this.cycles[this.next] = c;
    this.states[this.next] = state;
    this.next = (this.next + 1) % LOG_KEPT;
  }
  /** The earliest state taken at or after cycle t: [cycle, state], or null. */
  firstFrom(t: number): [number, Int32Array] | null {
    let best = -1;
    for (let i = 0; i < LOG_KEPT; i++) if (this.cycles[i] >= t && (best < 0 || this.cycles[i] < this.cycles[best])) best = i;
    return best < 0 ? null : [this.cycles[best], this.states[best]!];
  }
  /** Forget the states taken from cycle t on (a rollback went back before them). */
  dropFrom(t: number): void {
    for (let i = 0; i < LOG_KEPT; i++)
      if (this.cycles[i] >= t) {
        this.cycles[i] = -1;
        this.states[i] = null;
      }
  }
}

/** Index of the first event of h at or after cycle t. */
function firstAtOrAfter(h: History, t: number): number {
  let lo = 0;
  let hi = h.n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (h.t[mid] >= t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A boundary history continued periodically from cycle c on: beat b ≥ n recurs at beat b − m, `period` cycles earlier. */
class PeriodicBeats {
  private readonly i0: number;
  readonly m: number;
  constructor(readonly h: History, c: number, readonly period: number) {
    this.i0 = firstAtOrAfter(h, c - period);
    this.m = h.n - this.i0;
  }
  /** Cycle of beat b. */
  time(b: number): number {
    if (b < this.h.n) return this.h.t[b];
    const d = b - this.i0;
    const q = Math.floor(d / this.m);
    return this.h.t[this.i0 + d - q * this.m] + q * this.period;
  }
  /** Beats up to and including cycle t. */
  countTo(t: number): number {
    if (this.m <= 0) return firstAtOrAfter(this.h, t + 1);
    let lo = 0;
    let hi = this.h.n + (Math.floor((t - this.h.t[this.i0]) / this.period) + 1) * this.m;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.time(mid) > t) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** Bring a per-image beat counter (countBeat's) from its count to `upTo` beats of `beats`. */
function countBeatsTo(r: ImageBeats, beats: PeriodicBeats, upTo: number): void {
  for (let b = r.beats; b < upTo; ) {
    const image = Math.floor(b / r.perImage);
    const endOfImage = Math.min((image + 1) * r.perImage, upTo);
    if (b % r.perImage === 0) r.first[image] = beats.time(b);
    r.last[image] = beats.time(endOfImage - 1);
    b = endOfImage;
  }
  r.beats = upTo;
}

/**
 * Write down the rest of a run that repeats itself with `period` from cycle c on (boundary state at c equal to that
 * at c − period, every replayed beat periodic since before c − period): the cycle in which the sink takes beat
 * `endBeats` − 1, with every record brought there; −1 (nothing changed) if that is after `maxCycles`. Per image and
 * per FIFO, not per beat: a run of any length takes the same time and memory from here.
 */
export function writeDownPeriodicEnd(memo: Memo, fifos: number[], period: number, c: number, endBeats: number, maxCycles: number): number {
  const { source, sink } = memo.testbench!;
  const seq = new Map<History, PeriodicBeats>();
  const of = (h: History) => seq.get(h) ?? seq.set(h, new PeriodicBeats(h, c, period)).get(h)!;
  const sinkReads = of(memo.reads[sink.inF]!);
  if (sinkReads.m <= 0) return -1;
  const end = sinkReads.time(endBeats - 1);
  if (end > maxCycles) return -1;
  // The FIFO records, as the accesses would have left them.
  const F = memo.sim.fifos;
  const s = F.s;
  for (const f of fifos) {
    const o = f << 4;
    const w = of(memo.writes[f]!);
    const r = of(memo.reads[f]!);
    const wr = w.countTo(end);
    const rd = r.countTo(end);
    for (let b = Math.max(rd, wr - s[o + CAP] - 1); b < wr; b++) F.ring[s[o + BASE] + (b & s[o + CAP])] = w.time(b);
    if (wr > s[o + WR]) s[o + LWR] = w.time(wr - 1);
    if (rd > s[o + RD]) s[o + LRD] = r.time(rd - 1);
    s[o + WR] = wr;
    s[o + RD] = rd;
  }
  const inputWrites = of(memo.writes[source.outF]!);
  countBeatsTo(source, inputWrites, inputWrites.countTo(end));
  countBeatsTo(sink, sinkReads, endBeats);
  // Block output windows, replayers' positions, and the replayed blocks' checkpoints in cycle order (a reference's
  // come first: they are earlier).
  const checkpoints: Array<[number, number]> = [];
  memo.cells.forEach((cell, k) => {
    const reads = of(memo.reads[cell.inB]!);
    const writes = of(memo.writes[cell.outB]!);
    const nIn = reads.countTo(end);
    const nOut = writes.countTo(end);
    const m = cell.outMover;
    if (m && m.perImage) countBeatsTo(m, writes, nOut);
    if (cell.memoable)
      for (let b = Math.ceil(reads.h.n / cell.inPerImage) * cell.inPerImage; b < nIn; b += cell.inPerImage) checkpoints.push([reads.time(b), k]);
    memo.replayers[k].moveTo(nIn, nOut);
  });
  checkpoints.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  for (const [t, k] of checkpoints) memo.replayedCheckpoint(k, t);
  return end;
}

/**
 * Watches a run in its replay phase for the periodic end (Memo.runReplayed asks at cycle `next`): first the cycle from
 * which every replayed beat is periodic, then the boundary state at a cycle start from there on, compared with the
 * state one period later.
 */
export class PeriodicEnd {
  /** The cycle at whose start to look next. */
  next: number;
  period = 0;
  /** The state to compare with at `next` (taken a period earlier), once known. */
  private state: Int32Array | null = null;
  constructor(
    private readonly memo: Memo,
    private readonly fifos: number[],
    private readonly log: BoundaryLog,
    private readonly endBeats: number,
    private readonly maxCycles: number,
    start: number,
  ) {
    this.next = start;
  }

  /** At the start of cycle c (= next): the run's last cycle when the rest was written down from here, else −1. */
  look(c: number): number {
    if (this.state === null) {
      const p = periodicFrom(this.memo);
      if (p === null) this.next = Infinity;
      else if (p === 'later') this.next = c + 4096;
      else {
        this.period = p.period;
        // From a cycle t ≥ T* on, the run repeats what followed t − P if the boundary held the same then: compare
        // with a logged state as early as possible, else with one taken now.
        const logged = this.log.firstFrom(Math.max(c, p.from) - p.period);
        if (logged) [this.next, this.state] = [logged[0] + p.period, logged[1]];
        else if (p.from > c) this.next = p.from;
        else [this.next, this.state] = [c + p.period, boundaryState(this.memo, this.fifos, c)];
      }
      return -1;
    }
    const state = boundaryState(this.memo, this.fifos, c);
    if (sameState(state, this.state)) {
      const end = writeDownPeriodicEnd(this.memo, this.fifos, this.period, c, this.endBeats, this.maxCycles);
      if (end >= 0) return end;
      this.next = Infinity;
      return -1;
    }
    this.state = state;
    this.next = c + this.period;
    return -1;
  }
}
