/**
 * Simulator core: the scheduler that steps only awake processes, with the stall-all pipelines' state in one flat
 * pipe store (see pipe.ts) and the FIFOs' in one strided array (see fifos.ts), so that the per-step hot path is
 * monomorphic and allocation-free.
 */
import * as FL from './fifos.ts';
import * as PL from './pipe.ts';
import { type CompiledLoop, loadLoop, pipeRecordSize, ringMask } from './pipe.ts';
import type { StartCtl } from './start.ts';
import * as KL from './kernel/index.ts';
import { WHEEL, WakeCore } from './wake.ts';

export { Fifos, type FifoInfo } from './fifos.ts';

// Imported bindings compile to getter calls under tsx, which would cost more than a whole step on the hot path:
// copy the record layouts of fifos.ts and pipe.ts into module constants once.
const { heapPop } = FL;
const { EV_READ, EV_WRITE, EV_WAKE_PRODUCERS, EV_WAKE_CONSUMERS } = KL;
const { materialise, MIN_SKIP } = PL;
const { WR, RD, LRD, LWR, DEPTH, LAT, BASE, CAP, PEAK, CWF, PWF, REC } = FL;
const { P_K, P_N, P_D, P_HEAD, P_OCC, P_RMASK, P_NACC, P_MASK, P_BCAT, P_LCAND, P_LC, P_PID, P_RING, P_STEADY, P_IDLE, P_SM, P_ACC, BUBBLE, EXIT } = PL;

import { BUSY, IDLE, SKIP, SLEEP, STALL_IN, STALL_OUT } from './step-codes.ts';
export { BUSY, IDLE, SKIP, SLEEP, STALL_IN, STALL_OUT };
/** Simulated cycles between two progress calls (Scheduler.onTick). */
const TICK_CYCLES = 1 << 16;
export const CATEGORY_NAMES = ['busy', 'stalledIn', 'stalledOut', 'idle'] as const;

export interface SimProc {
  readonly id: number;
  readonly name: string;
  /** Block index (−1 for testbench processes). */
  readonly block: number;
  /** Post-phase processes (region controllers) run after all others in a cycle. */
  readonly post: boolean;
  /** Stall-all loop processes are stepped by the scheduler itself (`stepLoop`) from their pipe record. */
  readonly isLoop?: boolean;
  /**
   * Its record in the scheduler's pipe store (pipe.ts): a pipe record (loop processes, FSM processes' sub-loops, whose
   * iteration counter is its P_K) or the unpacker's own (`recordKind` KIND_UNPACK). The compiled kernel takes the
   * steady steps of processes that have one.
   */
  readonly record?: number;
  /** The kind of that record: one of pipe.ts KIND_* (KIND_PIPE when absent). */
  readonly recordKind?: number;
  /** A mover, or the source, whose beat the kernel moved in cycle c (its EV_COUNT event): count it. */
  kernelBeat?(c: number): void;
  /** Loop processes: their start control. */
  start?: StartCtl;
  step(c: number): number;
  /** Why the process is blocked right now: FIFOs it waits on (for the deadlock report). */
  waits(): Array<{ fifo: number; on: 'empty' | 'full' | 'region' }>;
  /** Its logical state at the end of cycle c, appended as numbers (memo.ts compares them); absent: never memoised. */
  memoState?(out: number[], c: number): void;
}

/**
 * The scheduler. `fast` mode steps a process only while it reports progress and otherwise lets it sleep until a
 * FIFO it waits on changes or a timed wake fires; jumps over cycles in which nobody is awake. The reference mode
 * steps every process every cycle. Both run the same process code, so tests can compare them.
 */
export class Scheduler extends WakeCore {
  /** Pipe store (records of stall-all pipelines) and the access masks of their loops. */
  ps: Int32Array = new Int32Array(0);
  masks: Uint8Array = new Uint8Array(0);
  private psB: number[] = [];
  private maskB: Uint8Array[] = [];
  private maskOff = new Map<Uint8Array, number>();
  private maskLen = 0;
  /** Per process: its pipe record (loop processes) and start control. */
  private pipeOf: Int32Array = new Int32Array(0);
  private startOf: StartCtl[] = [];
  private isLoop!: Uint8Array;
  private classOf!: Uint8Array;
  private skipLen = 0;
  /** Lean accounting (see stepListLean): cycle each process last woke, its non-busy steps since. */
  private lean = false;
  private nonBusy!: Float64Array;
  private maxCyc = 1e9;
  private blockedRun!: Uint8Array;
  /**
   * Step the stall-all loops' steady case with the compiled kernel (kernel/steady.c) in lean fast runs; set before
   * init. Off: the same decisions in JavaScript (tests compare the two).
   */
  compiled = true;
  /**
   * Cycles the kernel keeps a blocked process awake before it goes to sleep in JavaScript (set before init). The
   * results are the same, except that a run ending in deadlock stops up to this many cycles later: run.ts then
   * re-simulates it with 0 for the exact cycle (see `kernelWaits`).
   */
  kernelPatience = 32;
  private kernel: KL.SteadyKernel | null = null;
  /** Steps taken by the compiled kernel (part of `steps`). */
  compiledSteps = 0;
  /** Whether the compiled kernel steps this run (processes with records then keep them ready for it). */
  get hasKernel(): boolean {
    return this.kernel !== null;
  }
  /** Whether the kernel may have kept blocked processes awake (a deadlock's last cycle is then re-simulated). */
  get kernelWaits(): boolean {
    return this.kernel !== null && this.kernelPatience > 0;
  }
  /** Blocked steps a process stays awake for before it sleeps (0: sleep at once; results do not depend on it). */
  patience = 0;
  steps = 0;
  /** Called every TICK_CYCLES simulated cycles with the cycle reached (progress reports). */
  onTick: ((cycle: number) => void) | null = null;
  private nextTick = Infinity;


  /** Offset of access table m in the mask store (added once, before init). */
  maskOffset(m: Uint8Array): number {
    if (!this.maskOff.has(m)) {
      this.maskOff.set(m, this.maskLen);
      this.maskB.push(m);
      this.maskLen += m.length;
    }
    return this.maskOff.get(m)!;
  }

  /** Reserve a pipe record for process `pid` that will run `loops` (the first one loaded); returns its base. */
  allocPipe(pid: number, loops: CompiledLoop[]): number {
    for (const l of loops) for (const m of [l.mask, l.steady, l.idle]) this.maskOffset(m);
    const b = this.psB.length;
    const size = pipeRecordSize(loops);
    for (let j = 0; j < size; j++) this.psB.push(0);
    const maxA = Math.max(...loops.map((l) => l.stage.length));
    this.psB[b + P_PID] = pid;
    this.psB[b + P_RING] = b + P_ACC + 3 * maxA;
    loadLoop(this.psB, b, loops[0], this.maskOff.get(loops[0].mask)!, this.maskOff.get(loops[0].steady)!, this.maskOff.get(loops[0].idle)!, ringMask(Math.max(...loops.map((l) => l.depth))));
    return b;
  }
  /** Reserve a record of these initial values in the pipe store (the unpacker's); returns its base. */
  allocRecord(values: number[]): number {
    const b = this.psB.length;
    this.psB.push(...values);
    return b;
  }
  /** Load another loop into a pipe record (FSM sub-loops); the pipeline starts empty. */
  setLoop(b: number, loop: CompiledLoop): void {
    loadLoop(this.ps, b, loop, this.maskOff.get(loop.mask)!, this.maskOff.get(loop.steady)!, this.maskOff.get(loop.idle)!, this.ps[b + P_RMASK]);
  }
  init(procs: SimProc[]): void {
    this.procs = procs;
    const n = procs.length;
    this.ps = Int32Array.from(this.psB);
    this.psB = [];
    this.masks = new Uint8Array(this.maskLen);
    for (const m of this.maskB) this.masks.set(m, this.maskOff.get(m)!);
    this.pipeOf = Int32Array.from(procs, (p) => p.record ?? -1);
    this.startOf = procs.map((p) => p.start!);
    this.awake = new Uint8Array(n).fill(1);
    this.frozen = new Uint8Array(n);
    this.wakeAt = new Float64Array(n).fill(Infinity);
    this.stats = new Float64Array(n * 4);
    this.sleepSince = new Float64Array(n);
    this.sleepCat = new Uint8Array(n);
    this.blockedRun = new Uint8Array(n);
    this.skipUntil = new Float64Array(n).fill(-Infinity);
    this.isLoop = Uint8Array.from(procs.map((p) => (p.isLoop ? 1 : 0)));
    const classes: unknown[] = [];
    this.classOf = Uint8Array.from(procs, (p) => {
      if (!classes.includes(p.constructor)) classes.push(p.constructor);
      return classes.indexOf(p.constructor);
    });
    this.awakeFrom = new Float64Array(n);
    this.nonBusy = new Float64Array(n);
    this.lists = [new Int32Array(n), new Int32Array(n), new Int32Array(n)];
    const kind = Uint8Array.from(procs, (p) => p.recordKind ?? PL.KIND_PIPE);
    const arrays = { ps: this.ps, fifo: this.fifos.s, ring: this.ring, list: this.lists[0], pipeOf: this.pipeOf, masks: this.masks, stats: this.stats, nonBusy: this.nonBusy, blockedRun: this.blockedRun, kind };
    this.kernel = this.fast && this.compiled ? KL.SteadyKernel.create(arrays, this.kernelPatience) : null;
    if (this.kernel) {
      // From here on everyone works on the kernel's copies (nothing else holds the old arrays yet).
      const v = this.kernel.views;
      this.ps = v.ps;
      this.masks = v.masks;
      this.pipeOf = v.pipeOf;
      this.lists[0] = v.list;
      this.fifos.adopt(v.fifo, v.ring);
      this.ring = v.ring;
      this.stats = v.stats;
      this.nonBusy = v.nonBusy;
      this.blockedRun = v.blockedRun;
    }
    // List 0 is the kernel's: the loop processes, and with the kernel every process it can step (FSM sub-loops,
    // unpackers); the other processes, then the post-phase ones.
    this.listOf = Uint8Array.from(procs, (p) => (p.post ? 2 : p.isLoop || (this.kernel && p.record !== undefined) ? 0 : 1));
    this.lens.fill(0);
    for (const p of procs) this.enlist(p.id);
  }













  /**
   * Try to advance the stall-all pipeline of record b with `cand` entering stage 0. Returns true when it advanced
   * (accesses done); false when frozen (P_BCAT set to the first blocking access's category, waits registered).
   */
  advance(b: number, cand: number, c: number): boolean {
    const S = this.ps;
    const M = this.masks;
    const F = this.fifos.s;
    const D = S[b + P_D];
    // Steady path (fast engine, stages hold cand, cand − 1, …): active accesses from the steady table, and the stage
    // ring is not written (P_SM records the last issue). The reference stepper always reads and writes every stage,
    // so that the tests compare the two.
    const steady = cand >= D - 1 && this.fast;
    let act = 0;
    if (steady) act = M[S[b + P_STEADY] + cand];
    else {
      if (S[b + P_SM] !== 0) materialise(S, b);
      const ring = S[b + P_RING];
      const rm = S[b + P_RMASK];
      const head = S[b + P_HEAD];
      const mb = S[b + P_MASK];
      const na = S[b + P_NACC];
      for (let a = 0, o = b + P_ACC; a < na; a++, o += 3) {
        const s = S[o];
        const i = s === 0 ? cand : S[ring + ((head - s + 1) & rm)];
        if (i >= 0 && (M[mb + i] & (1 << a)) !== 0) act |= 1 << a;
      }
    }
    let blocked = false;
    for (let w = act, o = b + P_ACC; w !== 0; w >>= 1, o += 3) {
      if ((w & 1) === 0) continue;
      const fo = S[o + 1];
      if (S[o + 2] === 1) {
        if (F[fo + WR] - F[fo + RD] + (F[fo + LRD] === c ? 1 : 0) >= F[fo + DEPTH]) {
          if (!blocked) S[b + P_BCAT] = 2;
          blocked = true;
          this.waitWrite(S[b + P_PID], fo >> 4, c);
        }
      } else {
        const r = F[fo + RD];
        if (F[fo + WR] <= r || this.ring[F[fo + BASE] + (r & F[fo + CAP])] > c - F[fo + LAT]) {
          if (!blocked) S[b + P_BCAT] = 1;
          blocked = true;
          this.waitRead(S[b + P_PID], fo >> 4, c);
        }
      }
    }
    if (blocked) return false;
    this.commit(b, act, c);
    if (steady) {
      S[b + P_SM] = cand + 1;
      return true;
    }
    const ring = S[b + P_RING];
    const rm = S[b + P_RMASK];
    const head = S[b + P_HEAD];
    const oldSlot = ring + ((head - D + 1) & rm);
    const old = S[oldSlot];
    const entry = cand >= 0 ? cand : BUBBLE;
    S[oldSlot] = BUBBLE;
    const h = (head + 1) & rm;
    S[ring + h] = entry;
    S[b + P_HEAD] = h;
    S[b + P_OCC] += (entry >= 0 ? 1 : 0) - (old >= 0 ? 1 : 0);
    return true;
  }


  /** Whether the accesses `act` (bits over pipe record b's accesses) can all go ahead in cycle c (no side effects). */
  private canIssue(b: number, act: number, c: number): boolean {
    const S = this.ps;
    const F = this.fifos.s;
    for (let o = b + P_ACC; act !== 0; act >>= 1, o += 3) {
      if ((act & 1) === 0) continue;
      const fo = S[o + 1];
      if (S[o + 2] === 1) {
        if (F[fo + WR] - F[fo + RD] + (F[fo + LRD] === c ? 1 : 0) >= F[fo + DEPTH]) return false;
      } else {
        const r = F[fo + RD];
        if (F[fo + WR] <= r || this.ring[F[fo + BASE] + (r & F[fo + CAP])] > c - F[fo + LAT]) return false;
      }
    }
    return true;
  }

  /** Perform the accesses `act` of pipe record b in cycle c (none may block). */
  private commit(b: number, act: number, c: number): void {
    const S = this.ps;
    const F = this.fifos.s;
    const R = this.ring;
    for (let o = b + P_ACC; act !== 0; o += 3, act >>= 1) {
      if ((act & 1) === 0) continue;
      const fo = S[o + 1];
      if (S[o + 2] === 1) {
        const n = F[fo + WR];
        R[F[fo + BASE] + (n & F[fo + CAP])] = c;
        F[fo + WR] = n + 1;
        F[fo + LWR] = c;
        const occ = n + 1 - F[fo + RD] + (F[fo + LRD] === c ? 1 : 0);
        if (occ > F[fo + PEAK]) F[fo + PEAK] = occ;
        if (F[fo + CWF]) this.wakeConsumers(fo >> 4, c);
        if (F[fo + REC]) this.memo!.onWrite(fo >> 4, c);
      } else {
        F[fo + RD]++;
        F[fo + LRD] = c;
        if (F[fo + PWF]) this.wakeProducers(fo >> 4, c);
        if (F[fo + REC]) this.memo!.onRead(fo >> 4, c);
      }
    }
  }

  /** One cycle of a flattened stall-all loop process: N iterations plus an exit slot per invocation (DATAFLOW §0.1–0.3). */
  stepLoop(p: number, c: number): number {
    const S = this.ps;
    const b = this.pipeOf[p];
    const n = S[b + P_N];
    const k = S[b + P_K];
    let cand = BUBBLE;
    if (k > 0) {
      // Mid-invocation (the common case): no start logic.
      cand = k === n ? EXIT : k;
      if (!this.advance(b, cand, c)) {
        // Recorded for the deadlock report (only a blocked process is asked why it waits).
        S[b + P_LCAND] = cand;
        S[b + P_LC] = c;
        return S[b + P_BCAT] | SLEEP;
      }
      if (cand === EXIT) {
        this.startOf[p].onExit(c);
        S[b + P_K] = 0;
        return BUSY;
      }
      S[b + P_K] = k + 1;
      // Bulk step: iterations ahead that touch no FIFO (e.g. a LayerNorm's compute pass) cannot interact with
      // anything, so the pipeline advances over all of them at once and sleeps until they are done.
      if (this.masks[S[b + P_IDLE] + k + 1] < MIN_SKIP) return BUSY;
      return this.skipIdle(b, k + 1, c) > 0 ? BUSY | SKIP | SLEEP : BUSY;
    }
    const start = this.startOf[p];
    if (start.canStart(c)) {
      // The start tokens go out in the first cycle of the invocation, even if the pipeline is frozen then.
      start.onIssue(c);
      cand = n === 0 ? EXIT : 0;
    }
    S[b + P_LCAND] = cand;
    S[b + P_LC] = c;
    if (cand === BUBBLE && S[b + P_OCC] === 0) {
      start.waitStart(c);
      return IDLE | SLEEP;
    }
    if (!this.advance(b, cand, c)) {
      if (!start.once) start.waitStart(c);
      return S[b + P_BCAT] | SLEEP;
    }
    if (cand === EXIT) {
      start.onExit(c);
      S[b + P_K] = 0;
    } else if (cand >= 0) S[b + P_K] = k + 1;
    return BUSY;
  }





  /** Progress report every TICK_CYCLES cycles (at the start of cycle c). */
  tick(c: number): void {
    if (c >= this.nextTick) {
      this.nextTick = c + TICK_CYCLES;
      this.onTick!(c);
    }
  }

  /** The next cycle in which process p steps (now if awake). */
  nextStepOf(p: number): number {
    return this.awake[p] ? this.now : this.wakeAt[p];
  }

  /** The earliest cycle after c with a wheel entry (Infinity: none). */
  private nextWheelWake(c: number): number {
    if (this.wheelCount === 0) return Infinity;
    for (let t = c + 1; t < c + WHEEL; t++) if (this.wheel[t & (WHEEL - 1)].length > 0) return t;
    return Infinity;
  }

  /** Run until `done()` is true after a cycle, or until nothing can change (returns false: deadlock). */
  run(done: () => boolean, maxCycles = 1e9): boolean {
    const procs = this.procs;
    this.maxCyc = maxCycles;
    const lean = this.fast && this.timeline === null && this.patience === 0;
    if (lean && !this.lean) for (let j = 0; j < 3; j++) for (let i = 0; i < this.lens[j]; i++) this.awakeFrom[this.lists[j][i]] = this.now;
    this.lean = lean;
    this.nextTick = this.onTick ? this.now + TICK_CYCLES : Infinity;
    while (true) {
      const c = this.now;
      this.tick(c);
      if (this.memo !== null) {
        if (this.memo.hasPending) this.memo.atCycleStart(c);
        if ((c & this.memo.logMask) === 0) this.memo.logBoundary(c);
        if (this.memo.allReplayed) return this.memo.runReplayed(done, maxCycles);
      }
      // Collect timed wakes for this cycle: its wheel slot, then the heap. An entry whose process was woken earlier
      // (wakeAt changed) is stale and dropped.
      if (this.wheelCount > 0) {
        const slot = this.wheel[c & (WHEEL - 1)];
        if (slot.length > 0) {
          this.wheelCount -= slot.length;
          for (let i = 0; i < slot.length; i++) {
            const p = slot[i];
            if (this.wakeAt[p] !== c || this.awake[p] || this.frozen[p]) continue;
            this.wakeAt[p] = Infinity;
            this.awake[p] = 1;
            this.account(p, c);
            this.enlist(p);
          }
          slot.length = 0;
        }
      }
      const hT = this.heapT;
      const hP = this.heapP;
      while (hT.length && hT[0] <= c) {
        const t = hT[0];
        const p = hP[0];
        heapPop(hT, hP);
        if (this.wakeAt[p] !== t || this.awake[p] || this.frozen[p]) continue;
        this.wakeAt[p] = Infinity;
        this.awake[p] = 1;
        this.account(p, c);
        this.enlist(p);
      }
      // Loop processes and the others in separate lists keep the step call sites monomorphic.
      this.stepList(0, c);
      if (this.lens[1]) this.stepList(1, c);
      if (this.lens[2]) this.stepList(2, c);
      if (done()) {
        this.now = c + 1;
        return true;
      }
      const lens = this.lens;
      if (lens[0] || lens[1] || lens[2]) this.now = c + 1;
      else if (hT.length || this.wheelCount > 0) this.now = Math.max(c + 1, Math.min(this.nextWheelWake(c), hT.length ? hT[0] : Infinity));
      else {
        this.now = c + 1;
        return false;
      }
      if (this.now > maxCycles) return false;
    }
  }



  /**
   * stepList for the common fast run (no timeline, no patience): busy steps are not counted one by one but per awake
   * stretch (cycles awake minus the non-busy steps, closed when the process sleeps or the run ends).
   */
  private stepListLean(li: number, c: number): void {
    if (li === 0 && this.kernel !== null) return this.stepLoopsCompiled(c);
    const list = this.lists[li];
    const loops = li === 0;
    const lens = this.lens;
    const procs = this.procs;
    const awake = this.awake;
    const S = this.ps;
    const M = this.masks;
    const pipeOf = this.pipeOf;
    let w = 0;
    for (let j = 0; j < lens[li]; j++) {
      const p = list[j];
      awake[p] = 0;
      // Steady fast path (the common case, inlined): a loop process mid-invocation whose pipeline holds k − 1,
      // k − 2, … issues k when every access of the steady table can go ahead; otherwise stepLoop decides.
      if (loops) {
        const b = pipeOf[p];
        const k = S[b + P_K];
        if (k > 0 && k < S[b + P_N] && k >= S[b + P_D] - 1) {
          const act = M[S[b + P_STEADY] + k];
          if (M[S[b + P_IDLE] + k + 1] < MIN_SKIP && this.canIssue(b, act, c)) {
            this.commit(b, act, c);
            S[b + P_SM] = k + 1;
            S[b + P_K] = k + 1;
            list[w++] = p;
            awake[p] = 1;
            continue;
          }
        }
      }
      const r = loops ? this.stepLoop(p, c) : this.stepOther(procs[p], c);
      if (r === BUSY || this.leanAfter(p, r, c)) {
        list[w++] = p;
        awake[p] = 1;
      }
    }
    this.steps += lens[li];
    lens[li] = w;
  }

  /**
   * stepListLean for the loop list with the compiled kernel: it steps every process in the steady case and defers the
   * rest, which take their JavaScript step here (leanLoopStep), as do processes woken into the list during the cycle.
   * Within a cycle the order of steps does not matter (fifos.ts), so this equals stepping the list in order.
   */
  private stepLoopsCompiled(c: number): void {
    const list = this.lists[0];
    const lens = this.lens;
    const n = lens[0];
    const deferred = this.kernel!.deferred;
    const nd = this.kernel!.step(c, n);
    this.compiledSteps += n - nd;
    const ne = this.kernel!.events[0];
    if (ne > 0) this.kernelEvents(ne, c);
    // The first entry that went to sleep: the list is compacted from there on.
    let first = -1;
    for (let q = 0; q < nd; q++) {
      const j = deferred[q];
      if (!this.leanLoopStep(list[j], c)) {
        list[j] = -1;
        if (first < 0) first = j;
      }
    }
    for (let j = n; j < lens[0]; j++)
      if (!this.leanLoopStep(list[j], c)) {
        list[j] = -1;
        if (first < 0) first = j;
      }
    this.steps += lens[0];
    if (first < 0) return;
    let w = first;
    for (let j = first + 1; j < lens[0]; j++) if (list[j] >= 0) list[w++] = list[j];
    lens[0] = w;
  }

  /** What the kernel's step in cycle c left to JavaScript (kernel/index.ts EV_*): the memo's records, wakes, counts. */
  private kernelEvents(ne: number, c: number): void {
    const ev = this.kernel!.events;
    for (let i = 1; i <= ne; i++) {
      const e = ev[i];
      const x = e >> 4;
      switch (e & 15) {
        case EV_READ:
          this.memo!.onRead(x >> 4, c);
          break;
        case EV_WRITE:
          this.memo!.onWrite(x >> 4, c);
          break;
        case EV_WAKE_PRODUCERS:
          this.wakeProducers(x >> 4, c);
          break;
        case EV_WAKE_CONSUMERS:
          this.wakeConsumers(x >> 4, c);
          break;
        default:
          this.procs[x].kernelBeat!(c);
      }
    }
  }

  /**
   * One lean step of list-0 process p in JavaScript (stepLoop for a loop, else the process's own step); false when it
   * went to sleep.
   */
  private leanLoopStep(p: number, c: number): boolean {
    this.awake[p] = 0;
    const r = this.isLoop[p] ? this.stepLoop(p, c) : this.stepOther(this.procs[p], c);
    if (r !== BUSY && !this.leanAfter(p, r, c)) return false;
    this.awake[p] = 1;
    return true;
  }

  /**
   * The lean accounting of a step of p in cycle c with a result r other than BUSY: its non-busy cycle counted; true
   * when it stays awake, else it goes to sleep (its awake stretch's busy cycles closed).
   */
  private leanAfter(p: number, r: number, c: number): boolean {
    const cat = r & 3;
    if (cat !== BUSY) {
      this.stats[p * 4 + cat]++;
      this.nonBusy[p]++;
    }
    if (!(r & SLEEP)) {
      this.wakeAt[p] = Infinity;
      return true;
    }
    this.stats[p * 4] += c + 1 - this.awakeFrom[p] - this.nonBusy[p];
    this.nonBusy[p] = 0;
    this.blockedRun[p] = 0;
    this.sleepAfter(p, r, c);
    return false;
  }

  private stepList(li: number, c: number): void {
    if (this.lean) return this.stepListLean(li, c);
    const list = this.lists[li];
    const loops = li === 0;
    const lens = this.lens;
    const procs = this.procs;
    const fast = this.fast;
    const stats = this.stats;
    const awake = this.awake;
    const tl = this.timeline !== null;
    let w = 0;
    // The length is re-read each time: a main-phase step can wake a post-phase process into list 2.
    for (let j = 0; j < lens[li]; j++) {
      const p = list[j];
      // Not awake while stepping, so that wakes it registers for itself are kept.
      awake[p] = 0;
      const r = loops && this.isLoop[p] ? this.stepLoop(p, c) : this.stepOther(procs[p], c);
      const cat = r & 3;
      if (tl) this.addCat(p, cat, c, c + 1);
      else stats[p * 4 + cat]++;
      if (!fast || !(r & SLEEP) || (this.patience > 0 && !(r & SKIP) && this.blockedRun[p]++ < this.patience)) {
        // Short stalls: stay awake for a few cycles rather than pay a sleep and a wake (results are identical).
        if (!(r & SLEEP)) this.blockedRun[p] = 0;
        list[w++] = p;
        awake[p] = 1;
        this.wakeAt[p] = Infinity;
      } else {
        this.blockedRun[p] = 0;
        this.sleepAfter(p, r, c);
      }
    }
    this.steps += lens[li];
    lens[li] = w;
  }

  /**
   * Process p sleeps after its step in cycle c (result r): in r's category until woken; after a bulk step it is busy
   * until the step is done (accounted then, or at the end of the run if that comes first).
   */
  private sleepAfter(p: number, r: number, c: number): void {
    this.sleepSince[p] = c + 1;
    this.sleepCat[p] = r & 3;
    if (r & SKIP) {
      const t = c + 1 + this.skipLen;
      this.skipUntil[p] = t;
      this.wakeAt[p] = Infinity;
      this.wake(p, t);
    }
  }

  /**
   * Bulk step (fast engine): if iterations from `from` on (the next to issue, in the same invocation) touch no FIFO
   * — e.g. a LayerNorm's compute pass — they cannot interact with anything, so the pipe record b advances over all
   * of them at once. Returns how many (0: none skipped); the caller then returns BUSY | SKIP | SLEEP and sleeps
   * until they are done.
   */
  skipIdle(b: number, from: number, c: number): number {
    const S = this.ps;
    if (!this.fast || from < S[b + P_D] - 1) return 0;
    // Wake no later than maxCycles, so that a run stopped there sees every process as the per-cycle engine does.
    const m = Math.min(this.masks[S[b + P_IDLE] + from], this.maxCyc - c - 1);
    if (m < MIN_SKIP) return 0;
    // The pipeline then holds from + m − 1, from + m − 2, … (from ≥ D − 1): leave the ring stale (steady mode).
    S[b + P_SM] = from + m;
    S[b + P_K] = from + m;
    this.skipLen = m;
    return m;
  }

  /** One call site per process class (up to 8), so that each stays monomorphic. */
  private stepOther(q: SimProc, c: number): number {
    switch (this.classOf[q.id]) {
      case 0: return q.step(c);
      case 1: return q.step(c);
      case 2: return q.step(c);
      case 3: return q.step(c);
      case 4: return q.step(c);
      case 5: return q.step(c);
      case 6: return q.step(c);
      default: return q.step(c);
    }
  }

  /**
   * Take process p out of the simulation from cycle t on (memo.ts replays its cell): its statistics are closed at
   * t and it is never stepped or woken again.
   */
  freeze(p: number, t: number): void {
    this.statsAsOf(p, t, this.stats, p * 4);
    this.sleepSince[p] = t;
    this.awakeFrom[p] = t;
    this.nonBusy[p] = 0;
    this.frozen[p] = 1;
    if (this.awake[p]) {
      this.awake[p] = 0;
      const li = this.listOf[p];
      const list = this.lists[li];
      let w = 0;
      for (let i = 0; i < this.lens[li]; i++) if (list[i] !== p) list[w++] = list[i];
      this.lens[li] = w;
    }
  }

  /** Process p's cycles by category up to cycle t (exclusive), written to out[off..off+3]. */
  statsAsOf(p: number, t: number, out: Float64Array, off: number): void {
    const S = this.stats;
    for (let j = 0; j < 4; j++) out[off + j] = S[p * 4 + j];
    if (this.frozen[p]) return;
    if (!this.awake[p]) {
      const since = this.sleepSince[p];
      if (t > since) out[off + this.sleepCat[p]] += t - since;
    } else if (this.lean) out[off] += t - this.awakeFrom[p] - this.nonBusy[p];
  }

  /** Cycles a process still has to sleep through a bulk step (part of its logical state at cycle c). */
  skipAhead(p: number, c: number): number {
    return this.skipUntil[p] > c + 1 ? this.skipUntil[p] - c : 0;
  }

  /** Close the accounting of sleeping processes at the end of the run. */
  finish(): void {
    for (const p of this.procs)
      if (this.frozen[p.id]) continue;
      else if (!this.awake[p.id]) this.account(p.id, this.now), (this.sleepSince[p.id] = this.now);
      else if (this.lean) {
        this.stats[p.id * 4] += this.now - this.awakeFrom[p.id] - this.nonBusy[p.id];
        this.nonBusy[p.id] = 0;
        this.awakeFrom[p.id] = this.now;
      }
  }

  isAwake(p: number): boolean {
    return this.awake[p] === 1;
  }
}
