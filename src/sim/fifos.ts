/**
 * FIFO state of a whole design in one strided Int32Array (one 64-byte record per FIFO, so a process step touches one
 * cache line per FIFO it accesses) plus one ring of write cycles shared by all FIFOs.
 *
 * FIFO timing (DATAFLOW §0.5): a beat written in cycle t can be read from t + lat (1 shift-register, 2 memory);
 * full flags are registered, so a pop in cycle t frees space only from t + 1. Both rules depend only on what
 * happened before the current cycle, so the order in which processes are stepped within a cycle does not matter.
 */

/** Field offsets inside a FIFO record (record of FIFO f starts at f · FS). */
export const WR = 0;
export const RD = 1;
/** Cycle of the last read / write. */
export const LRD = 2;
export const LWR = 3;
export const DEPTH = 4;
export const LAT = 5;
/** Ring slot of beat index i: BASE + (i & CAP). */
export const BASE = 6;
export const CAP = 7;
export const PEAK = 8;
/** 1 when some consumer / producer sleeps on this FIFO (cheap test on the hot path). */
export const CWF = 9;
export const PWF = 10;
/** 1 on the boundary FIFOs of a memoised run (memo.ts): every access is reported to it. */
export const REC = 11;
export const FS = 16;

export interface FifoInfo {
  name: string;
  block: number;
  /** Data stream, start-token FIFO or inter-block link. */
  role: 'data' | 'start' | 'link' | 'port';
  producer: number;
  consumer: number;
}

export class Fifos {
  readonly count: number;
  /** Records (replaced once, with `ring`, by the compiled kernel's copies: see adopt). */
  s: Int32Array;
  /** Cycle in which each beat was written (ring per FIFO). */
  ring: Int32Array;
  readonly consWait: number[][];
  readonly prodWait: number[][];
  readonly info: FifoInfo[];

  constructor(specs: Array<{ depth: number; lat: number; info: FifoInfo }>) {
    const n = specs.length;
    this.count = n;
    const s = new Int32Array(n * FS);
    let total = 0;
    specs.forEach((x, i) => {
      const o = i * FS;
      s[o + DEPTH] = x.depth;
      s[o + LAT] = x.lat;
      s[o + LRD] = -1e9;
      s[o + LWR] = -1e9;
      s[o + BASE] = total;
      let size = 1;
      while (size < x.depth) size <<= 1;
      s[o + CAP] = size - 1;
      total += size;
    });
    this.s = s;
    this.ring = new Int32Array(total);
    this.consWait = specs.map(() => []);
    this.prodWait = specs.map(() => []);
    this.info = specs.map((x) => x.info);
  }

  /** Continue on copies of the records and rings (in the compiled kernel's memory, Scheduler.init). */
  adopt(s: Int32Array, ring: Int32Array): void {
    if (s.length !== this.s.length || ring.length !== this.ring.length) throw new Error('Fifos.adopt: arrays of another design');
    this.s = s;
    this.ring = ring;
  }

  /** The write cycles of every beat in every FIFO (what of the ring is live), for a snapshot. */
  saveBeats(): Int32Array {
    const s = this.s;
    let total = 0;
    for (let f = 0; f < this.count; f++) total += s[f * FS + WR] - s[f * FS + RD];
    const out = new Int32Array(total);
    let at = 0;
    this.eachLive((from, to) => {
      out.set(this.ring.subarray(from, to), at);
      at += to - from;
    });
    return out;
  }
  /** Put saveBeats' beats back (the records already restored to the same moment). */
  restoreBeats(saved: Int32Array): void {
    let at = 0;
    this.eachLive((from, to) => {
      this.ring.set(saved.subarray(at, at + to - from), from);
      at += to - from;
    });
  }
  /** The ring ranges that hold live beats, FIFO by FIFO, oldest first (a FIFO's beats wrap at most once). */
  private eachLive(range: (from: number, to: number) => void): void {
    const s = this.s;
    for (let f = 0; f < this.count; f++) {
      const o = f * FS;
      const n = s[o + WR] - s[o + RD];
      if (n === 0) continue;
      const base = s[o + BASE];
      const first = s[o + RD] & s[o + CAP];
      const upToEnd = Math.min(n, s[o + CAP] + 1 - first);
      range(base + first, base + first + upToEnd);
      if (upToEnd < n) range(base, base + n - upToEnd);
    }
  }

  canRead(f: number, c: number): boolean {
    const s = this.s;
    const o = f * FS;
    const r = s[o + RD];
    return s[o + WR] > r && this.ring[s[o + BASE] + (r & s[o + CAP])] <= c - s[o + LAT];
  }
  canWrite(f: number, c: number): boolean {
    const s = this.s;
    const o = f * FS;
    return s[o + WR] - s[o + RD] + (s[o + LRD] === c ? 1 : 0) < s[o + DEPTH];
  }
  /** Registered occupancy at cycle c: beats written before c minus beats read before c. */
  occupancy(f: number, c: number): number {
    const s = this.s;
    const o = f * FS;
    return s[o + WR] - (s[o + LWR] === c ? 1 : 0) - s[o + RD] + (s[o + LRD] === c ? 1 : 0);
  }
  /** Beats in the FIFO now (written minus read so far). */
  level(f: number): number {
    return this.s[f * FS + WR] - this.s[f * FS + RD];
  }
  depth(f: number): number {
    return this.s[f * FS + DEPTH];
  }
  peak(f: number): number {
    return this.s[f * FS + PEAK];
  }
  setPeak(f: number, v: number): void {
    this.s[f * FS + PEAK] = v;
  }
  lastWrite(f: number): number {
    return this.s[f * FS + LWR];
  }
}

export function heapPush(T: number[], P: number[], t: number, p: number): void {
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

export function heapPop(T: number[], P: number[]): void {
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
