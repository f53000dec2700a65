import * as core from './core.ts';
import type { Scheduler, SimProc } from './core.ts';
import * as fifos from './fifos.ts';
import * as pipe from './pipe.ts';
import { type CompiledLoop, pipeBlockers, pipeState } from './pipe.ts';
import type { StartCtl } from './start.ts';

// Module constants rather than imported bindings (those compile to getter calls under tsx).
const { BUSY, IDLE, SKIP, SLEEP, STALL_IN, STALL_OUT } = core;
const { FS } = fifos;
const { BUBBLE, EXIT, MIN_SKIP, P_BCAT, P_IDLE, P_K, P_LC, P_LCAND, P_OCC, KIND_UNPACK, UNPACK_RECORD, U_CUR, U_IN, U_K, U_N, U_OUT, U_PENDING, U_S1, U_STARTED } = pipe;
const { FR_BEFORE, FR_BUF, FR_BUFCAP, FR_D, FR_HEAD, FR_IN, FR_K, FR_MASK, FR_N, FR_OCC, FR_OUT, FR_PIPE, FR_RSTAGE, FR_WBIT, FR_WSTAGE, KIND_FRP } = pipe;

type Wait = { fifo: number; on: 'empty' | 'full' | 'region' };

/** A flattened stall-all loop: N iterations plus an exit slot per invocation, immediate restart (DATAFLOW §0.1–0.3). */
export class LoopProc implements SimProc {
  readonly post = false;
  readonly isLoop = true;
  start!: StartCtl;
  readonly record: number;
  constructor(readonly sim: Scheduler, readonly id: number, readonly name: string, readonly block: number, readonly loop: CompiledLoop) {
    this.record = sim.allocPipe(id, [loop]);
  }

  /** The scheduler steps loop processes itself (Scheduler.stepLoop); this is for callers that hold the object. */
  step(c: number): number {
    return this.sim.stepLoop(this.id, c);
  }
  /** Logical state (memo.ts). */
  memoState(out: number[]): void {
    pipeState(this.sim.ps, this.record, out);
    this.start.memoState(out);
  }
  waits(): Wait[] {
    const S = this.sim.ps;
    const b = this.record;
    pipe.materialise(S, b);
    const cand = S[b + P_LCAND];
    if (cand === BUBBLE && S[b + P_OCC] === 0) return this.start.waits(S[b + P_LC]);
    return pipeBlockers(S, this.sim.masks, this.sim.fifos, b, cand, S[b + P_LC]);
  }
}

/**
 * A free-running (frp) loop (DATAFLOW §0.4): stages always advance; an iteration issues only with a start token,
 * an input reservation and room in the private output buffer, through which results reach the output FIFO. Its
 * state lives in a record of the scheduler's pipe store (pipe.ts FR_*), so that the compiled kernel can take its
 * steps mid-invocation.
 */
export class FrpProc implements SimProc {
  readonly post = false;
  start!: StartCtl;
  readonly record: number;
  readonly recordKind = KIND_FRP;
  private readonly depth: number;
  private readonly readStage: number;
  private readonly writeStage: number;
  /** Bit of the write access in the loop's per-iteration access mask. */
  private readonly writeBit: number;
  private readonly inF: number;
  private readonly outF: number;
  private lastC = 0;
  constructor(
    readonly sim: Scheduler, readonly id: number, readonly name: string, readonly block: number,
    readonly loop: CompiledLoop, readonly bufCap: number,
  ) {
    const r = loop.isWrite.indexOf(0);
    const w = loop.isWrite.indexOf(1);
    this.depth = loop.depth;
    this.readStage = loop.stage[r];
    this.writeStage = loop.stage[w];
    this.writeBit = 1 << w;
    this.inF = loop.fifo[r];
    this.outF = loop.fifo[w];
    const rec = new Array<number>(FR_PIPE + loop.depth).fill(BUBBLE);
    rec.fill(0, 0, FR_PIPE);
    rec[FR_N] = loop.n;
    rec[FR_D] = loop.depth;
    rec[FR_BUFCAP] = bufCap;
    rec[FR_RSTAGE] = this.readStage;
    rec[FR_WSTAGE] = this.writeStage;
    rec[FR_WBIT] = this.writeBit;
    rec[FR_IN] = this.inF * FS;
    rec[FR_OUT] = this.outF * FS;
    rec[FR_MASK] = sim.maskOffset(loop.mask);
    this.record = sim.allocRecord(rec);
  }

  /** The iteration in stage s − 1 (s = 1: the newest). */
  private at(S: Int32Array, s: number): number {
    // head ∈ [0, D), s ∈ [1, D]: one wrap at most (no division on the hot path).
    const i = S[this.record + FR_HEAD] - s + 1;
    return S[this.record + FR_PIPE + (i < 0 ? i + this.depth : i)];
  }
  /** Logical state (memo.ts). */
  memoState(out: number[]): void {
    const S = this.sim.ps;
    const u = this.record;
    out.push(S[u + FR_K], S[u + FR_OCC], S[u + FR_BUF]);
    for (let s = 1; s <= this.depth; s++) out.push(this.at(S, s));
    this.start.memoState(out);
  }

  step(c: number): number {
    const F = this.sim.fifos;
    const S = this.sim.ps;
    const u = this.record;
    const n = this.loop.n;
    const D = this.depth;
    const k = S[u + FR_K];
    this.lastC = c;
    // Candidate configuration's stages 1..D−1 are the current stages 0..D−2: all in flight but the last stage's.
    const pendingReads = S[u + FR_BEFORE];
    const inFlight = S[u + FR_OCC] - (this.at(S, D) >= 0 ? 1 : 0);
    let cand = BUBBLE;
    let cat = BUSY;
    const bufFree = this.bufCap - S[u + FR_BUF];
    const starting = k === 0 && this.start.canStart(c);
    if (starting) this.start.onIssue(c);
    if (k > 0 || starting) {
      if (k === n) cand = bufFree >= inFlight + 2 ? EXIT : BUBBLE;
      else if (F.occupancy(this.inF, c) < pendingReads + 1) cat = STALL_IN;
      else if (bufFree < inFlight + 2) cat = STALL_OUT;
      else cand = k;
    } else cat = IDLE;
    // Drain the buffer (one beat per cycle), then advance all stages.
    let wrote = false;
    if (S[u + FR_BUF] > 0 && F.canWrite(this.outF, c)) {
      this.sim.write(this.outF, c);
      S[u + FR_BUF]--;
      wrote = true;
    }
    const ri = this.readStage === 0 ? cand : this.at(S, this.readStage);
    if (ri >= 0) {
      if (!F.canRead(this.inF, c)) throw new Error(`${this.name}: frp read without reservation at cycle ${c}`);
      this.sim.read(this.inF, c);
    }
    const wi = this.writeStage === 0 ? cand : this.at(S, this.writeStage);
    if (wi >= 0 && (this.loop.mask[wi] & this.writeBit) !== 0) {
      if (!wrote && S[u + FR_BUF] === 0 && F.canWrite(this.outF, c)) this.sim.write(this.outF, c);
      else S[u + FR_BUF]++;
    }
    const entry = cand >= 0 ? cand : BUBBLE;
    // Stage readStage − 1 moves on to readStage; the new entry comes into stage 0.
    if (this.readStage > 0) S[u + FR_BEFORE] += (entry >= 0 ? 1 : 0) - (this.at(S, this.readStage) >= 0 ? 1 : 0);
    const h = S[u + FR_HEAD] + 1 === D ? 0 : S[u + FR_HEAD] + 1;
    const old = S[u + FR_PIPE + h];
    S[u + FR_PIPE + h] = entry;
    S[u + FR_HEAD] = h;
    const occupied = (S[u + FR_OCC] += (entry >= 0 ? 1 : 0) - (old >= 0 ? 1 : 0));
    if (cand === EXIT) {
      this.start.onExit(c);
      S[u + FR_K] = 0;
    } else if (cand >= 0) S[u + FR_K] = k + 1;
    if (cand !== BUBBLE || occupied > 0) return cat === IDLE ? BUSY : cat;
    // Nothing in flight: sleep until whatever blocks the next issue changes.
    if (S[u + FR_BUF] > 0) {
      if (!F.canWrite(this.outF, c + 1)) this.sim.waitWrite(this.id, this.outF, c + 1);
      else return STALL_OUT;
      return STALL_OUT | SLEEP;
    }
    if (cat === IDLE) {
      if (this.start.canStart(c + 1)) return IDLE;
      this.start.waitStart(c + 1);
      return IDLE | SLEEP;
    }
    if (cat === STALL_IN) {
      this.sim.waitAnyWrite(this.id, this.inF);
      if (F.lastWrite(this.inF) === c) return STALL_IN;
      return STALL_IN | SLEEP;
    }
    return cat;
  }
  waits(): Wait[] {
    const F = this.sim.fifos;
    if (this.sim.ps[this.record + FR_K] === 0 && !this.start.canStart(this.lastC)) return this.start.waits(this.lastC);
    if (this.sim.ps[this.record + FR_BUF] > 0 && !F.canWrite(this.outF, this.lastC)) return [{ fifo: this.outF, on: 'full' }];
    return [{ fifo: this.inF, on: 'empty' }];
  }
}

/**
 * The reshaper's II = 2 `unpack` loop, transcribed from its two-state RTL pipeline (DATAFLOW §0.8). Its state lives
 * in a record of the scheduler's pipe store (pipe.ts U_*), so that the compiled kernel can take its started steps.
 */
export class UnpackProc implements SimProc {
  readonly post = false;
  start!: StartCtl;
  readonly record: number;
  readonly recordKind = KIND_UNPACK;
  private why: Wait[] = [];
  private readonly full: Wait[];
  private readonly empty: Wait[];
  constructor(
    readonly sim: Scheduler, readonly id: number, readonly name: string, readonly block: number,
    readonly n: number, readonly inF: number, readonly outF: number,
  ) {
    const rec = new Array<number>(UNPACK_RECORD).fill(0);
    rec[U_N] = n;
    rec[U_CUR] = -1;
    rec[U_IN] = inF * FS;
    rec[U_OUT] = outF * FS;
    this.record = sim.allocRecord(rec);
    this.full = [{ fifo: outF, on: 'full' }];
    this.empty = [{ fifo: inF, on: 'empty' }];
  }

  /** Logical state (memo.ts). */
  memoState(out: number[]): void {
    const S = this.sim.ps;
    const u = this.record;
    out.push(S[u + U_S1], S[u + U_STARTED], S[u + U_K], S[u + U_CUR], S[u + U_PENDING]);
    this.start.memoState(out);
  }
  step(c: number): number {
    const F = this.sim.fifos;
    const S = this.sim.ps;
    const u = this.record;
    if (!S[u + U_STARTED] && !this.start.once && this.start.canStart(c)) this.start.onIssue(c);
    if (!S[u + U_S1]) {
      let wrote = false;
      if (S[u + U_PENDING]) {
        if (!F.canWrite(this.outF, c)) {
          this.why = this.full;
          this.sim.waitWrite(this.id, this.outF, c);
          if (!S[u + U_STARTED] && !this.start.once) this.start.waitStart(c);
          return STALL_OUT | SLEEP;
        }
        this.sim.write(this.outF, c);
        S[u + U_PENDING] = 0;
        wrote = true;
      }
      if (!S[u + U_STARTED] && this.start.canStart(c)) {
        S[u + U_STARTED] = 1;
        this.start.onIssue(c);
      }
      if (S[u + U_STARTED] && S[u + U_K] === this.n) {
        this.start.onExit(c);
        S[u + U_STARTED] = 0;
        S[u + U_K] = 0;
        return BUSY;
      }
      if (S[u + U_STARTED]) {
        S[u + U_CUR] = S[u + U_K]++;
        S[u + U_S1] = 1;
        return BUSY;
      }
      if (wrote) {
        S[u + U_CUR] = -1;
        S[u + U_S1] = 1;
        return BUSY;
      }
      this.why = this.start.waits(c);
      this.start.waitStart(c);
      return IDLE | SLEEP;
    }
    const cur = S[u + U_CUR];
    if (cur >= 0) {
      if (cur % 2 === 0) {
        if (!F.canRead(this.inF, c)) {
          this.why = this.empty;
          this.sim.waitRead(this.id, this.inF, c);
          return STALL_IN | SLEEP;
        }
        this.sim.read(this.inF, c);
      }
      S[u + U_PENDING] = 1;
    }
    S[u + U_S1] = 0;
    return BUSY;
  }
  waits(): Wait[] {
    return this.why;
  }
}

export type FsmStepC = { kind: 'state' } | { kind: 'loop'; loop: CompiledLoop };
const NO_STEP = 0;
const STATE_STEP = 1;
const LOOP_STEP = 2;

/**
 * A process made of sequential sub-loops and one-cycle FSM states (DATAFLOW §0.9): a start state, `repeat` times
 * the body, then a ready state or ready when the last sub-loop is done. A sub-loop is done when its exit slot
 * reaches stage D − 2.
 */
export class FsmProc implements SimProc {
  readonly post = false;
  start!: StartCtl;
  private pos = -1; // −1: start state; 0..body·repeat−1: body steps; body·repeat: ready state
  private exitStage = -1;
  /**
   * Its pipe record (not stepped by stepLoop: isLoop is unset). The current sub-loop's iteration counter k lives in
   * the record's P_K, 0 before a sub-loop and n + 1 after it, so that the compiled kernel can take the steady steps.
   */
  readonly record: number;
  private lastC = 0;
  private lastCand = BUBBLE;
  private readonly total: number;
  private curKind = NO_STEP;
  private curN = 0;
  private doneStage = 0;
  constructor(
    readonly sim: Scheduler, readonly id: number, readonly name: string, readonly block: number,
    readonly body: FsmStepC[], readonly repeat: number, readonly readyState: boolean,
  ) {
    const loops = body.flatMap((s) => (s.kind === 'loop' ? [s.loop] : []));
    this.record = sim.allocPipe(id, loops);
    this.total = body.length * repeat;
  }

  /** Logical state (memo.ts). */
  memoState(out: number[]): void {
    out.push(this.pos, this.sim.ps[this.record + P_K], this.exitStage);
    pipeState(this.sim.ps, this.record, out);
    this.start.memoState(out);
  }

  private enter(pos: number): void {
    this.pos = pos;
    // The current step's figures, cached as plain numbers (the step runs every cycle; snapshot.ts copies them).
    const cur = pos >= 0 && pos < this.total ? this.body[pos % this.body.length] : null;
    this.curKind = cur === null ? NO_STEP : cur.kind === 'state' ? STATE_STEP : LOOP_STEP;
    if (cur?.kind === 'loop') {
      this.sim.setLoop(this.record, cur.loop);
      this.sim.ps[this.record + P_K] = 0;
      this.exitStage = -1;
      this.curN = cur.loop.n;
      this.doneStage = Math.max(0, cur.loop.depth - 2);
    }
  }

  step(c: number): number {
    this.lastC = c;
    const kind = this.curKind;
    if (kind === NO_STEP) {
      if (this.pos === -1) {
        if (!this.start.canStart(c)) {
          this.start.waitStart(c);
          return IDLE | SLEEP;
        }
        this.start.onIssue(c);
        this.enter(0);
        return BUSY;
      }
      this.start.onExit(c);
      this.enter(-1);
      return BUSY;
    }
    if (kind === STATE_STEP) {
      this.enter(this.pos + 1);
      return BUSY;
    }
    const n = this.curN;
    const sim = this.sim;
    const b = this.record;
    const k = sim.ps[b + P_K];
    const cand = k < n ? k : k === n ? EXIT : BUBBLE;
    this.lastCand = cand;
    if (!sim.advance(b, cand, c)) return sim.ps[b + P_BCAT] | SLEEP;
    if (cand === EXIT) this.exitStage = 0;
    else if (this.exitStage >= 0) this.exitStage++;
    if (k <= n) sim.ps[b + P_K] = k + 1;
    if (this.exitStage === this.doneStage) {
      if (this.pos + 1 === this.total && !this.readyState) {
        this.start.onExit(c);
        this.enter(-1);
      } else this.enter(this.pos + 1);
    } else if (cand >= 0 && sim.masks[sim.ps[b + P_IDLE] + k + 1] >= MIN_SKIP) {
      // Bulk step over the sub-loop's iterations that touch no FIFO (see Scheduler.skipIdle, which advances P_K).
      if (sim.skipIdle(b, k + 1, c) > 0) return BUSY | SKIP | SLEEP;
    }
    return BUSY;
  }
  waits(): Wait[] {
    if (this.pos === -1) return this.start.waits(this.lastC);
    return pipeBlockers(this.sim.ps, this.sim.masks, this.sim.fifos, this.record, this.lastCand, this.lastC);
  }
}
