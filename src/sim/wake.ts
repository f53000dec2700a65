/**
 * Wake machinery of the scheduler: FIFO reads and writes that wake sleeping waiters, wait registration, the timed
 * wake heap and the per-category cycle accounting of sleeping processes. The Scheduler (core.ts) extends it.
 */
import type { SimProc } from './core.ts';
import * as FL from './fifos.ts';
import type { Fifos } from './fifos.ts';
import type { Memo } from './memo.ts';

// Module constants rather than imported bindings (those compile to getter calls under tsx).
const { heapPush } = FL;
const { WR, RD, LRD, LWR, LAT, BASE, CAP, PEAK, CWF, PWF, REC } = FL;

/** Cycles ahead the timing wheel covers (a power of two). */
export const WHEEL = 256;

export class WakeCore {
  now = 0;
  procs: SimProc[] = [];
  readonly fifos: Fifos;
  /** The FIFOs' write-cycle rings (fifos.ring; replaced with it by the compiled kernel's copy). */
  protected ring: Int32Array;
  protected awake!: Uint8Array;
  protected wakeAt!: Float64Array;
  /** Timed wakes: those due within WHEEL cycles in a timing wheel (one slot of process ids per cycle: most wakes are
   * a FIFO latency or a bulk step ahead), later ones in a heap (times heapT, processes heapP). */
  protected wheel: number[][] = Array.from({ length: WHEEL }, () => []);
  protected wheelCount = 0;
  protected heapT: number[] = [];
  protected heapP: number[] = [];
  /** Awake processes: list 0 loop processes, 1 the others, 2 post-phase processes (each with its length). */
  protected lists: Int32Array[] = [];
  protected lens = new Int32Array(3);
  /** Which list a process goes to when woken. */
  protected listOf!: Uint8Array;
  /** Per process: the cycle up to which it has skipped ahead (wakes before it are postponed to it). */
  protected skipUntil!: Float64Array;
  /** Cycle each process last woke (lean accounting, see Scheduler.stepListLean). */
  protected awakeFrom!: Float64Array;
  /** Cycles by category per process: [busy, stalledIn, stalledOut, idle]. */
  stats!: Float64Array;
  protected sleepSince!: Float64Array;
  protected sleepCat!: Uint8Array;
  /** Memoised runs (memo.ts): boundary FIFOs report every access to it (FIFO field REC set). */
  memo: Memo | null = null;
  /** Processes of cells being replayed by memo.ts: never stepped or woken again. */
  protected frozen!: Uint8Array;
  /** Optional per-bin category counts for the timeline: bins × procs × 4. */
  timeline: { bin: number; data: Float64Array; bins: number } | null = null;

  constructor(fifos: Fifos, readonly fast: boolean) {
    this.fifos = fifos;
    this.ring = fifos.ring;
  }

  enableTimeline(binCycles: number, bins: number): void {
    this.timeline = { bin: binCycles, bins, data: new Float64Array(bins * this.procs.length * 4) };
  }
  /** Wake process p at cycle t (≥ now; t = now only for post-phase processes from the main phase). */
  wake(p: number, t: number): void {
    if (!this.fast || this.awake[p] || this.frozen[p]) return;
    if (t < this.skipUntil[p]) t = this.skipUntil[p];
    if (t === this.now && this.procs[p].post) {
      this.awake[p] = 1;
      this.account(p, t);
      this.enlist(p);
      return;
    }
    if (t < this.wakeAt[p]) {
      this.wakeAt[p] = t;
      if (t > this.now && t < this.now + WHEEL) {
        this.wheel[t & (WHEEL - 1)].push(p);
        this.wheelCount++;
      } else heapPush(this.heapT, this.heapP, t, p);
    }
  }
  read(f: number, c: number): void {
    const s = this.fifos.s;
    const o = f << 4;
    s[o + RD]++;
    s[o + LRD] = c;
    if (s[o + PWF]) this.wakeProducers(f, c);
    if (s[o + REC]) this.memo!.onRead(f, c);
  }
  write(f: number, c: number): void {
    const s = this.fifos.s;
    const o = f << 4;
    const n = s[o + WR];
    this.ring[s[o + BASE] + (n & s[o + CAP])] = c;
    s[o + WR] = n + 1;
    s[o + LWR] = c;
    // Peak as the full flag sees it (a beat read in this same cycle still counts): the least depth that would never
    // have blocked any of these writes.
    const occ = n + 1 - s[o + RD] + (s[o + LRD] === c ? 1 : 0);
    if (occ > s[o + PEAK]) s[o + PEAK] = occ;
    if (s[o + CWF]) this.wakeConsumers(f, c);
    if (s[o + REC]) this.memo!.onWrite(f, c);
  }
  protected wakeProducers(f: number, c: number): void {
    const w = this.fifos.prodWait[f];
    for (const p of w) this.wake(p, c + 1);
    w.length = 0;
    this.fifos.s[(f << 4) + PWF] = 0;
  }
  protected wakeConsumers(f: number, c: number): void {
    const w = this.fifos.consWait[f];
    const t = c + this.fifos.s[(f << 4) + LAT];
    for (const p of w) this.wake(p, t);
    w.length = 0;
    this.fifos.s[(f << 4) + CWF] = 0;
  }
  /** Register p to be woken when a beat of f becomes readable. */
  waitRead(p: number, f: number, c: number): void {
    const F = this.fifos;
    const s = F.s;
    const o = f << 4;
    const r = s[o + RD];
    if (s[o + WR] > r) this.wake(p, Math.max(c + 1, F.ring[s[o + BASE] + (r & s[o + CAP])] + s[o + LAT]));
    else if (!F.consWait[f].includes(p)) {
      F.consWait[f].push(p);
      s[o + CWF] = 1;
    }
  }
  /** Register p to be woken when f has room. */
  waitWrite(p: number, f: number, c: number): void {
    const F = this.fifos;
    if (F.s[(f << 4) + LRD] === c) this.wake(p, c + 1);
    else if (!F.prodWait[f].includes(p)) {
      F.prodWait[f].push(p);
      F.s[(f << 4) + PWF] = 1;
    }
  }
  /** Register p to be woken on any write to f (used for occupancy conditions). */
  waitAnyWrite(p: number, f: number): void {
    if (!this.fifos.consWait[f].includes(p)) {
      this.fifos.consWait[f].push(p);
      this.fifos.s[(f << 4) + CWF] = 1;
    }
  }
  protected account(p: number, t: number): void {
    const since = this.sleepSince[p];
    if (t > since) this.addCat(p, this.sleepCat[p], since, t);
  }
  protected addCat(p: number, cat: number, from: number, to: number): void {
    this.stats[p * 4 + cat] += to - from;
    const tl = this.timeline;
    if (!tl) return;
    const n = this.procs.length;
    let t = from;
    while (t < to) {
      const b = Math.min(tl.bins - 1, Math.floor(t / tl.bin));
      const end = b === tl.bins - 1 ? to : Math.min(to, (b + 1) * tl.bin);
      tl.data[(b * n + p) * 4 + cat] += end - t;
      t = end;
    }
  }
  /** Step every process of `list` at cycle c and compact the list to those that stay awake. */
  protected enlist(p: number): void {
    this.awakeFrom[p] = this.now;
    const li = this.listOf[p];
    this.lists[li][this.lens[li]++] = p;
  }
}
