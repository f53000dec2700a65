/**
 * The pieces of memoised runs (memo.ts) that live at a block's boundary: the cell (a block with its link movers),
 * the recorded beat histories of boundary FIFOs and how two of them are compared, and the replayer that stands in for
 * a frozen cell.
 */
import type { Block } from '../ir/index.ts';
import type { Scheduler, SimProc } from './core.ts';
import { BUSY, IDLE, SLEEP } from './core.ts';
import { type Fifos, FS } from './fifos.ts';
import type { Memo } from './memo.ts';
import { KIND_REPLAY, REPLAY_BUFFER, RP_BUF, RP_IN, RP_INN, RP_INPOS, RP_MOVER, RP_OUT, RP_OUTN, RP_OUTPOS } from './pipe.ts';
import { MoverProc, countBeat } from './testbench.ts';

/** A block with the movers on its input and output link: the unit that is memoised. */
export interface Cell {
  index: number;
  name: string;
  /** Processes (ids) of the block, its input mover (from the link) and its output mover (to the link). */
  procs: number[];
  /** FIFOs only its own processes touch. */
  fifos: number[];
  /** Boundary FIFOs: read from (link or the network input port) and written to (link or the network output port). */
  inB: number;
  outB: number;
  /** Input beats per image (checkpoints are taken when the first beat of an image is read). */
  inPerImage: number;
  /** Cells with equal `shape` have the same structure and role and can stand for each other. */
  shape: number;
  /** False when a process has no `memoState` (its state could not be compared): never replayed. */
  memoable: boolean;
  outMover: MoverProc | null;
}

/** Thrown when a replayed block's neighbours stop behaving as its reference's did. */
export class MemoDivergence extends Error {
  constructor(readonly cell: number, readonly entry: string, why: string, readonly cycle: number) {
    super(`memo divergence in cell ${cell}: ${why}`);
  }
}

/** Cycle of every write (or read) of one boundary FIFO, by beat index. */
export class History {
  // Room for a million beats from the start (a 10-image run of DeiT-tiny moves about as many per boundary): pages
  // are only committed as they are written, and regrowing 54 such arrays by doubling cost more than the rest.
  t = new Int32Array(1 << 20);
  n = 0;
  /** Record the next beat's cycle; returns its index. */
  push(c: number): number {
    if (this.n === this.t.length) this.grow();
    this.t[this.n] = c;
    return this.n++;
  }
  private grow(): void {
    const g = new Int32Array(this.t.length * 2);
    g.set(this.t);
    this.t = g;
  }
}

export interface Replay {
  ref: number;
  /** Cycle shift and beat-index shifts of the two boundary FIFOs relative to the reference. */
  delta: number;
  sIn: number;
  sOut: number;
  /** Checkpoint indices of the entry (own and reference's). */
  anchor: number;
  refAnchor: number;
  entry: string;
  /** Beats read from the input and written to the output when the replay began (set then). */
  inStart: number;
  outStart: number;
  /** The reference's boundary histories: writes to and reads of its input, writes to and reads of its output. */
  inWrites: History;
  inReads: History;
  outWrites: History;
  outReads: History;
}

/** First index of h with a cycle > t. */
function after(h: History, t: number): number {
  let lo = 0;
  let hi = h.n;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (h.t[m] > t) hi = m;
    else lo = m + 1;
  }
  return lo;
}

/** Events of h in cycles (t0, t1] are exactly those of ref in (t0 − delta, t1 − delta], shifted by delta and `shift` beats. */
export function sameWindow(h: History, ref: History, shift: number, delta: number, t0: number, t1: number): boolean {
  const lo = after(h, t0);
  const hi = after(h, t1);
  if (after(ref, t0 - delta) !== lo - shift || after(ref, t1 - delta) !== hi - shift) return false;
  for (let i = lo; i < hi; i++) if (ref.t[i - shift] + delta !== h.t[i]) return false;
  return true;
}

/**
 * Stands in for a frozen cell: performs its boundary accesses at the reference's cycles plus the shift. The compiled
 * kernel performs those its record lists (pipe.ts RP_*: the next accesses' cycles, looked up here in advance); this
 * step takes the rest — the lookups, an access the FIFOs do not allow (a divergence), a reference that has not got
 * there yet.
 */
export class ReplayProc implements SimProc {
  readonly post = false;
  readonly block = -1;
  readonly record: number;
  readonly recordKind = KIND_REPLAY;
  private r: Replay | null = null;
  from = -1;
  private nIn = 0;
  private nOut = 0;
  /** Beat indices of the record's first buffered input and output accesses. */
  private inBase = 0;
  private outBase = 0;
  memo!: Memo;
  cell!: Cell;
  constructor(readonly sim: Scheduler, readonly id: number, readonly name: string) {
    this.record = sim.allocRecord(new Array<number>(RP_BUF + 2 * REPLAY_BUFFER).fill(0));
  }

  /** Stand in for `cell` of `memo` (after the scheduler's init). */
  bind(memo: Memo, cell: Cell): void {
    this.memo = memo;
    this.cell = cell;
    const S = this.sim.ps;
    S[this.record + RP_IN] = cell.inB * FS;
    S[this.record + RP_OUT] = cell.outB * FS;
    S[this.record + RP_MOVER] = cell.outMover && cell.outMover.perImage ? cell.outMover.id : -1;
  }

  save(): [Replay | null, number, number, number] {
    this.sync();
    return [this.r, this.from, this.nIn, this.nOut];
  }
  load(s: [Replay | null, number, number, number]): void {
    [this.r, this.from, this.nIn, this.nOut] = s;
    this.refill();
  }

  /** Begin replaying r from cycle `start`. */
  activate(r: Replay, start: number): void {
    this.r = r;
    this.from = start;
    const F = this.sim.fifos;
    this.nIn = r.inStart = F.s[(this.cell.inB << 4) + 1];
    this.nOut = r.outStart = F.s[this.cell.outB << 4];
    this.refill();
    this.sim.wake(this.id, start);
  }

  /** Continue from input beat nIn and output beat nOut (memo-periodic.ts wrote the accesses before them down). */
  moveTo(nIn: number, nOut: number): void {
    this.nIn = nIn;
    this.nOut = nOut;
    this.release();
  }

  /** Take over the accesses the kernel performed from the record. */
  private sync(): void {
    const S = this.sim.ps;
    this.nIn = this.inBase + S[this.record + RP_INPOS];
    this.nOut = this.outBase + S[this.record + RP_OUTPOS];
  }
  /** Nothing buffered for the kernel (JavaScript steps this replayer). */
  private release(): void {
    const S = this.sim.ps;
    const u = this.record;
    S[u + RP_INN] = S[u + RP_OUTN] = S[u + RP_INPOS] = S[u + RP_OUTPOS] = 0;
    this.inBase = this.nIn;
    this.outBase = this.nOut;
  }
  /** Buffer the next accesses' cycles for the kernel, as far as the reference has got (with a kernel to take them). */
  private refill(): void {
    this.release();
    const r = this.r;
    if (!r || !this.sim.hasKernel) return;
    const S = this.sim.ps;
    const u = this.record;
    const fill = (h: History, from: number, at: number): number => {
      let j = 0;
      for (; j < REPLAY_BUFFER; j++) {
        const i = from + j;
        if (i < 0 || i >= h.n) break;
        S[at + j] = h.t[i] + r.delta;
      }
      return j;
    };
    S[u + RP_INN] = fill(r.inReads, this.nIn - r.sIn, u + RP_BUF);
    S[u + RP_OUTN] = fill(r.outWrites, this.nOut - r.sOut, u + RP_BUF + REPLAY_BUFFER);
  }

  /** Cycle of the reference's i-th event in h, shifted; −1 when the reference has not got there yet. */
  private at(h: { t: Int32Array; n: number }, i: number): number {
    return i >= 0 && i < h.n ? h.t[i] + this.r!.delta : -1;
  }

  step(c: number): number {
    if (!this.r) return IDLE | SLEEP;
    const next = this.advance(c);
    this.refill();
    // Beats on consecutive cycles (the common case): stay awake rather than sleep and be woken next cycle.
    if (next === c + 1) return BUSY;
    this.sim.wake(this.id, next);
    return BUSY | SLEEP;
  }

  /** Perform the boundary accesses due in cycle c; returns the next cycle in which this replayer must step. */
  advance(c: number): number {
    this.sync();
    const r = this.r!;
    const cell = this.cell;
    const F = this.sim.fifos;
    const refReads = r.inReads;
    const refWrites = r.outWrites;
    let tIn = this.at(refReads, this.nIn - r.sIn);
    if (tIn === c) {
      if (!F.canRead(cell.inB, c)) throw new MemoDivergence(cell.index, r.entry, `input beat ${this.nIn} not readable at cycle ${c}`, c);
      this.sim.read(cell.inB, c);
      this.nIn++;
      tIn = this.at(refReads, this.nIn - r.sIn);
    }
    let tOut = this.at(refWrites, this.nOut - r.sOut);
    if (tOut === c) {
      if (!F.canWrite(cell.outB, c)) throw new MemoDivergence(cell.index, r.entry, `output beat ${this.nOut} has no room at cycle ${c}`, c);
      this.sim.write(cell.outB, c);
      const m = cell.outMover;
      if (m && m.perImage) countBeat(m, c);
      this.nOut++;
      tOut = this.at(refWrites, this.nOut - r.sOut);
    }
    // Events the reference has not reached yet happen at its cycle c or later, i.e. here at c + delta or later.
    let next = c + r.delta;
    if (tIn > c && tIn < next) next = tIn;
    if (tOut > c && tOut < next) next = tOut;
    if ((tIn !== -1 && tIn <= c) || (tOut !== -1 && tOut <= c)) throw new MemoDivergence(cell.index, r.entry, `replay fell behind at cycle ${c}`, c);
    this.release();
    return next;
  }
  waits(): Array<{ fifo: number; on: 'empty' | 'full' | 'region' }> {
    return [];
  }
}

/** The cells of a chain: block k with the mover from link k − 1 and the mover to link k. */
export function cellsOf(blocks: Block[], procs: SimProc[], fifos: Fifos, inPort: number, outPort: number, shapeOf: (b: Block, k: number) => string): Cell[] {
  const shapes = new Map<string, number>();
  const links = [...Array(fifos.count).keys()].filter((f) => fifos.info[f].role === 'link');
  return blocks.map((b, k) => {
    const own = procs.filter((p) => p.block === k);
    const inB = k === 0 ? inPort : links[k - 1];
    const outB = k === blocks.length - 1 ? outPort : links[k];
    const fifoIds = [...Array(fifos.count).keys()].filter((f) => fifos.info[f].block === k && fifos.info[f].role !== 'link' && f !== inB && f !== outB);
    const role = k === 0 ? 'first' : k === blocks.length - 1 ? 'last' : 'middle';
    const key = `${role}|${shapeOf(b, k)}`;
    if (!shapes.has(key)) shapes.set(key, shapes.size);
    const outMover = (own.find((p) => p instanceof MoverProc && p.perImage > 0) as MoverProc | undefined) ?? null;
    const memoable = own.every((p) => p instanceof MoverProc || p.memoState !== undefined);
    return { index: k, name: b.name, procs: own.map((p) => p.id), fifos: fifoIds, inB, outB, inPerImage: b.input.beatsPerImage, shape: shapes.get(key)!, memoable, outMover };
  });
}
