/**
 * Simulator core: FIFO state in flat typed arrays and the scheduler that steps only awake processes.
 *
 * FIFO timing (DATAFLOW §0.5): a beat written in cycle t can be read from t + lat (1 shift-register, 2 memory);
 * full flags are registered, so a pop in cycle t frees space only from t + 1. Both rules depend only on what
 * happened before the current cycle, so the order in which processes are stepped within a cycle does not matter.
 */

/** Step results: low 2 bits the cycle's category, bit 2 set when the process sleeps until woken. */
export const BUSY = 0;
export const STALL_IN = 1;
export const STALL_OUT = 2;
export const IDLE = 3;
export const SLEEP = 4;
export const CATEGORY_NAMES = ['busy', 'stalledIn', 'stalledOut', 'idle'] as const;

export interface SimProc {
  readonly id: number;
  readonly name: string;
  /** Block index (−1 for testbench processes). */
  readonly block: number;
  /** Post-phase processes (region controllers) run after all others in a cycle. */
  readonly post: boolean;
  step(c: number): number;
  /** Why the process is blocked right now: FIFOs it waits on (for the deadlock report). */
  waits(): Array<{ fifo: number; on: 'empty' | 'full' | 'region' }>;
}

export interface FifoInfo {
  name: string;
  block: number;
  /** Data stream, start-token FIFO or inter-block link. */
  role: 'data' | 'start' | 'link' | 'port';
  producer: number;
  consumer: number;
}

export class Fifos {
  count = 0;
  depth: Int32Array;
  lat: Int32Array;
  wr: Int32Array;
  rd: Int32Array;
  lastRd: Int32Array;
  lastWr: Int32Array;
  peak: Int32Array;
  base: Int32Array;
  /** Ring capacity − 1 (a power of two ≥ depth), so slot = base + (index & cap). */
  cap: Int32Array;
  ring: Int32Array;
  consWait: number[][];
  prodWait: number[][];
  /** 1 when consWait / prodWait is non-empty (cheap test on the hot path). */
  cw: Uint8Array;
  pw: Uint8Array;
  info: FifoInfo[];

  constructor(specs: Array<{ depth: number; lat: number; info: FifoInfo }>) {
    const n = specs.length;
    this.count = n;
    this.depth = new Int32Array(n);
    this.lat = new Int32Array(n);
    this.wr = new Int32Array(n);
    this.rd = new Int32Array(n);
    this.lastRd = new Int32Array(n).fill(-1e9);
    this.lastWr = new Int32Array(n).fill(-1e9);
    this.peak = new Int32Array(n);
    this.base = new Int32Array(n);
    this.cap = new Int32Array(n);
    let total = 0;
    specs.forEach((s, i) => {
      this.depth[i] = s.depth;
      this.lat[i] = s.lat;
      this.base[i] = total;
      let size = 1;
      while (size < s.depth) size <<= 1;
      this.cap[i] = size - 1;
      total += size;
    });
    this.ring = new Int32Array(total);
    this.consWait = specs.map(() => []);
    this.prodWait = specs.map(() => []);
    this.cw = new Uint8Array(n);
    this.pw = new Uint8Array(n);
    this.info = specs.map((s) => s.info);
  }

  canRead(f: number, c: number): boolean {
    const r = this.rd[f];
    return this.wr[f] > r && this.ring[this.base[f] + (r & this.cap[f])] <= c - this.lat[f];
  }
  canWrite(f: number, c: number): boolean {
    return this.wr[f] - this.rd[f] + (this.lastRd[f] === c ? 1 : 0) < this.depth[f];
  }
  /** Registered occupancy at cycle c: beats written before c minus beats read before c. */
  occupancy(f: number, c: number): number {
    return this.wr[f] - (this.lastWr[f] === c ? 1 : 0) - this.rd[f] + (this.lastRd[f] === c ? 1 : 0);
  }
}

/**
 * The scheduler. `fast` mode steps a process only while it reports progress and otherwise lets it sleep until a
 * FIFO it waits on changes or a timed wake fires; jumps over cycles in which nobody is awake. The reference mode
 * steps every process every cycle. Both run the same process code, so tests can compare them.
 */
export class Scheduler {
  now = 0;
  procs: SimProc[] = [];
  readonly fifos: Fifos;
  private awake!: Uint8Array;
  private wakeAt!: Float64Array;
  private heapT: number[] = [];
  private heapP: number[] = [];
  /** Awake loop processes, awake other processes, awake post-phase processes. */
  private cur: number[] = [];
  private next: number[] = [];
  private postCur: number[] = [];
  private isLoop!: Uint8Array;
  private blockedRun!: Uint8Array;
  /** Blocked steps a process stays awake for before it sleeps (0: sleep at once; results do not depend on it). */
  patience = 0;
  /** Cycles by category per process: [busy, stalledIn, stalledOut, idle]. */
  stats!: Float64Array;
  private sleepSince!: Float64Array;
  private sleepCat!: Uint8Array;
  steps = 0;
  /** Optional per-bin category counts for the timeline: bins × procs × 4. */
  timeline: { bin: number; data: Float64Array; bins: number } | null = null;

  constructor(fifos: Fifos, readonly fast: boolean) {
    this.fifos = fifos;
  }

  init(procs: SimProc[]): void {
    this.procs = procs;
    const n = procs.length;
    this.awake = new Uint8Array(n).fill(1);
    this.wakeAt = new Float64Array(n).fill(Infinity);
    this.stats = new Float64Array(n * 4);
    this.sleepSince = new Float64Array(n);
    this.sleepCat = new Uint8Array(n);
    this.blockedRun = new Uint8Array(n);
    this.isLoop = Uint8Array.from(procs.map((p) => (p.constructor.name === 'LoopProc' ? 1 : 0)));
    this.cur = procs.filter((p) => !p.post && this.isLoop[p.id]).map((p) => p.id);
    this.next = procs.filter((p) => !p.post && !this.isLoop[p.id]).map((p) => p.id);
    this.postCur = procs.filter((p) => p.post).map((p) => p.id);
  }

  enableTimeline(binCycles: number, bins: number): void {
    this.timeline = { bin: binCycles, bins, data: new Float64Array(bins * this.procs.length * 4) };
  }

  /** Wake process p at cycle t (≥ now; t = now only for post-phase processes from the main phase). */
  wake(p: number, t: number): void {
    if (!this.fast || this.awake[p]) return;
    if (t === this.now && this.procs[p].post) {
      this.awake[p] = 1;
      this.account(p, t);
      this.postCur.push(p);
      return;
    }
    if (t < this.wakeAt[p]) {
      this.wakeAt[p] = t;
      heapPush(this.heapT, this.heapP, t, p);
    }
  }

  // FIFO operations that also wake waiters.
  read(f: number, c: number): void {
    const F = this.fifos;
    F.rd[f]++;
    F.lastRd[f] = c;
    if (F.pw[f]) {
      const w = F.prodWait[f];
      for (const p of w) this.wake(p, c + 1);
      w.length = 0;
      F.pw[f] = 0;
    }
  }
  write(f: number, c: number): void {
    const F = this.fifos;
    const n = F.wr[f];
    F.ring[F.base[f] + (n & F.cap[f])] = c;
    F.wr[f] = n + 1;
    F.lastWr[f] = c;
    // Peak as the full flag sees it (a beat read in this same cycle still counts): the least depth that would never
    // have blocked any of these writes.
    const occ = n + 1 - F.rd[f] + (F.lastRd[f] === c ? 1 : 0);
    if (occ > F.peak[f]) F.peak[f] = occ;
    if (F.cw[f]) {
      const w = F.consWait[f];
      const t = c + F.lat[f];
      for (const p of w) this.wake(p, t);
      w.length = 0;
      F.cw[f] = 0;
    }
  }
  /** Register p to be woken when a beat of f becomes readable. */
  waitRead(p: number, f: number, c: number): void {
    const F = this.fifos;
    const r = F.rd[f];
    if (F.wr[f] > r) this.wake(p, Math.max(c + 1, F.ring[F.base[f] + (r & F.cap[f])] + F.lat[f]));
    else if (!F.consWait[f].includes(p)) {
      F.consWait[f].push(p);
      F.cw[f] = 1;
    }
  }
  /** Register p to be woken when f has room. */
  waitWrite(p: number, f: number, c: number): void {
    const F = this.fifos;
    if (F.lastRd[f] === c) this.wake(p, c + 1);
    else if (!F.prodWait[f].includes(p)) {
      F.prodWait[f].push(p);
      F.pw[f] = 1;
    }
  }
  /** Register p to be woken on any write to f (used for occupancy conditions). */
  waitAnyWrite(p: number, f: number): void {
    if (!this.fifos.consWait[f].includes(p)) {
      this.fifos.consWait[f].push(p);
      this.fifos.cw[f] = 1;
    }
  }

  private account(p: number, t: number): void {
    const since = this.sleepSince[p];
    if (t > since) this.addCat(p, this.sleepCat[p], since, t);
  }
  private addCat(p: number, cat: number, from: number, to: number): void {
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

  /** Run until `done()` is true after a cycle, or until nothing can change (returns false: deadlock). */
  run(done: () => boolean, maxCycles = 1e9): boolean {
    const procs = this.procs;
    const isLoop = this.isLoop;
    while (true) {
      const c = this.now;
      // Collect timed wakes for this cycle.
      const hT = this.heapT;
      const hP = this.heapP;
      while (hT.length && hT[0] <= c) {
        const t = hT[0];
        const p = hP[0];
        heapPop(hT, hP);
        if (this.wakeAt[p] !== t || this.awake[p]) continue;
        this.wakeAt[p] = Infinity;
        this.awake[p] = 1;
        this.account(p, c);
        (procs[p].post ? this.postCur : isLoop[p] ? this.cur : this.next).push(p);
      }
      // Loop processes and the others in separate lists keep the step call sites monomorphic.
      this.stepList(this.cur, c);
      this.stepList(this.next, c);
      this.stepList(this.postCur, c);
      if (done()) {
        this.now = c + 1;
        return true;
      }
      if (this.cur.length || this.next.length || this.postCur.length) this.now = c + 1;
      else if (hT.length) this.now = Math.max(c + 1, hT[0]);
      else {
        this.now = c + 1;
        return false;
      }
      if (this.now > maxCycles) return false;
    }
  }

  /** Step every process of `list` at cycle c and compact the list to those that stay awake. */
  private stepList(list: number[], c: number): void {
    const procs = this.procs;
    const fast = this.fast;
    const stats = this.stats;
    const awake = this.awake;
    const tl = this.timeline !== null;
    let w = 0;
    for (let j = 0; j < list.length; j++) {
      const p = list[j];
      // Not awake while stepping, so that wakes it registers for itself are kept.
      awake[p] = 0;
      const r = procs[p].step(c);
      const cat = r & 3;
      if (tl) this.addCat(p, cat, c, c + 1);
      else stats[p * 4 + cat]++;
      if (!fast || !(r & SLEEP) || (this.patience > 0 && this.blockedRun[p]++ < this.patience)) {
        // Short stalls: stay awake for a few cycles rather than pay a sleep and a wake (results are identical).
        if (!(r & SLEEP)) this.blockedRun[p] = 0;
        list[w++] = p;
        awake[p] = 1;
        this.wakeAt[p] = Infinity;
      } else {
        this.blockedRun[p] = 0;
        this.sleepSince[p] = c + 1;
        this.sleepCat[p] = cat;
      }
    }
    this.steps += list.length;
    list.length = w;
  }

  /** Close the accounting of sleeping processes at the end of the run. */
  finish(): void {
    for (const p of this.procs) if (!this.awake[p.id]) this.account(p.id, this.now), (this.sleepSince[p.id] = this.now);
  }

  isAwake(p: number): boolean {
    return this.awake[p] === 1;
  }
}

function heapPush(T: number[], P: number[], t: number, p: number): void {
  let i = T.length;
  T.push(t);
  P.push(p);
  while (i > 0) {
    const par = (i - 1) >> 1;
    if (T[par] <= t) break;
    T[i] = T[par];
    P[i] = P[par];
    i = par;
  }
  T[i] = t;
  P[i] = p;
}

function heapPop(T: number[], P: number[]): void {
  const lt = T.pop()!;
  const lp = P.pop()!;
  const n = T.length;
  if (n > 0) {
    let i = 0;
    while (true) {
      let ch = 2 * i + 1;
      if (ch >= n) break;
      if (ch + 1 < n && T[ch + 1] < T[ch]) ch++;
      if (T[ch] >= lt) break;
      T[i] = T[ch];
      P[i] = P[ch];
      i = ch;
    }
    T[i] = lt;
    P[i] = lp;
  }
}
