import { holds, predicateKey, type Access, type LoopProgram } from '../ir/index.ts';
import { type Fifos, FS } from './fifos.ts';

export const BUBBLE = -1;
export const EXIT = -2;

/** Accesses of a loop compiled to flat arrays; `fifo` is the global FIFO id of the port. */
export interface CompiledLoop {
  n: number;
  depth: number;
  stage: Int32Array;
  fifo: Int32Array;
  isWrite: Uint8Array;
  div: Int32Array;
  mod: Int32Array;
  lo: Int32Array;
  hi: Int32Array;
  /** Bit a of mask[i] is set when access a is active on iteration i. */
  mask: Uint8Array;
  /**
   * Bit a of steady[x] is set when access a is active with iteration x entering stage 0 and x − 1, x − 2, … in the
   * stages behind it — always the case for x ≥ depth − 1 (no bubbles inside an invocation).
   */
  steady: Uint8Array;
  /** idle[x]: how many iterations from x on (x ≥ depth − 1, capped at 255) issue with no active access at all. */
  idle: Uint8Array;
}

const maskCache = new Map<string, Uint8Array>();
function accessMask(l: LoopProgram): Uint8Array {
  const key = `${l.n}|${l.accesses.map((a) => predicateKey(a.when)).join(';')}`;
  let m = maskCache.get(key);
  if (m) return m;
  if (l.accesses.length > 8) throw new Error('at most 8 accesses per loop');
  m = new Uint8Array(l.n + 1);
  for (let k = 0; k < l.accesses.length; k++) {
    const w = l.accesses[k].when;
    const bit = 1 << k;
    if (w.values || w.and) {
      for (let i = 0; i < l.n; i++) if (holds(w, i)) m[i] |= bit;
      continue;
    }
    // lo ≤ (i div d) mod m < hi, counted up rather than divided (loops run to millions of iterations).
    for (let i = 0, inDiv = 0, v = 0; i < l.n; i++) {
      if (v >= w.lo && v < w.hi) m[i] |= bit;
      if (++inDiv === w.div) {
        inDiv = 0;
        v = v + 1 === w.mod ? 0 : v + 1;
      }
    }
  }
  maskCache.set(key, m);
  return m;
}

const steadyCache = new Map<string, Uint8Array>();
function steadyMask(l: LoopProgram, mask: Uint8Array): Uint8Array {
  const key = `${l.n}|${l.depth}|${l.accesses.map((a) => `${a.stage},${predicateKey(a.when)}`).join(';')}`;
  let t = steadyCache.get(key);
  if (t) return t;
  t = new Uint8Array(l.n + 1);
  for (let k = 0; k < l.accesses.length; k++) {
    const stage = l.accesses[k].stage;
    const bit = 1 << k;
    for (let x = Math.max(0, l.depth - 1); x < l.n; x++) t[x] |= mask[x - stage] & bit;
  }
  steadyCache.set(key, t);
  return t;
}

const idleCache = new Map<Uint8Array, Uint8Array>();
function idleRuns(l: LoopProgram, steady: Uint8Array): Uint8Array {
  let r = idleCache.get(steady);
  if (r) return r;
  r = new Uint8Array(l.n + 1);
  for (let x = l.n - 1; x >= Math.max(0, l.depth - 1); x--) r[x] = steady[x] === 0 ? Math.min(255, r[x + 1] + 1) : 0;
  idleCache.set(steady, r);
  return r;
}

/** Shortest run of access-free iterations worth a bulk step (a sleep and a timed wake). */
export const MIN_SKIP = 4;

export function compileLoop(l: LoopProgram, ins: number[], outs: number[]): CompiledLoop {
  const a: Access[] = l.accesses;
  const mask = accessMask(l);
  const steady = steadyMask(l, mask);
  return {
    n: l.n,
    depth: l.depth,
    stage: Int32Array.from(a.map((x) => x.stage)),
    fifo: Int32Array.from(a.map((x) => (x.dir === 'read' ? ins[x.port] : outs[x.port]))),
    isWrite: Uint8Array.from(a.map((x) => (x.dir === 'write' ? 1 : 0))),
    div: Int32Array.from(a.map((x) => x.when.div)),
    mod: Int32Array.from(a.map((x) => x.when.mod)),
    lo: Int32Array.from(a.map((x) => x.when.lo)),
    hi: Int32Array.from(a.map((x) => x.when.hi)),
    mask,
    steady,
    idle: idleRuns(l, steady),
  };
}

/**
 * A stall-all pipeline (DATAFLOW §0.3) lives in a record of the scheduler's pipe store (an Int32Array shared by all
 * pipelines, so that a step touches one or two cache lines): a ring of D stages holding iteration indices. Each cycle
 * it tries to advance to the configuration "everything one stage further, `cand` in stage 0"; if any access of that
 * configuration would read an empty FIFO or write a full one, nothing happens (the whole pipeline freezes).
 * Record fields (offsets from the record base):
 */
/** Loop processes' iteration counter (next iteration to issue). */
export const P_K = 0;
export const P_N = 1;
export const P_D = 2;
/** Ring index of stage 0; stage j of the current configuration is ring[(head − j) & rmask]. */
export const P_HEAD = 3;
/** Valid iterations in the pipeline. */
export const P_OCC = 4;
export const P_RMASK = 5;
export const P_NACC = 6;
/** Offset of the loop's access mask in the scheduler's mask store. */
export const P_MASK = 7;
/** The first blocking access's category when frozen. */
export const P_BCAT = 8;
/** Candidate and cycle of the last step (for the deadlock report). */
export const P_LCAND = 9;
export const P_LC = 10;
export const P_PID = 11;
/** Absolute offset of the stage ring. */
export const P_RING = 12;
/** Offset of the loop's steady table in the mask store. */
export const P_STEADY = 13;
/** Offset of the loop's idle-run table in the mask store. */
export const P_IDLE = 14;
/**
 * Steady mode (fast engine): 0 when the stage ring is up to date; x + 1 when the ring was left stale while the
 * pipeline held x, x − 1, …, x − D + 1 (x the last iteration issued) — see `materialise`.
 */
export const P_SM = 15;
/** Accesses from here, 3 ints each: stage, FIFO record offset (f · FS), is-write. */
export const P_ACC = 16;

/**
 * The II = 2 unpacker's record in the same store (procs.ts UnpackProc, stepped by the compiled kernel too): next index,
 * count, state 1, index in flight (−1: none), beat pending, started, input and output FIFO record offsets (f · FS).
 */
export const U_K = 0;
export const U_N = 1;
export const U_S1 = 2;
export const U_CUR = 3;
export const U_PENDING = 4;
export const U_STARTED = 5;
export const U_IN = 6;
export const U_OUT = 7;
export const UNPACK_RECORD = 8;
/** A link mover's record (testbench.ts MoverProc): input and output FIFO record offsets, 1 when it counts its beats. */
export const M_IN = 0;
export const M_OUT = 1;
export const M_COUNT = 2;
export const MOVE_RECORD = 3;
/**
 * A free-running loop's record (procs.ts FrpProc): next iteration, count, depth D, head of the stage ring, iterations
 * in flight, of which in stages before the read stage, beats in the output buffer, its capacity, read and write
 * stages, the write's bit in the access mask, input and output FIFO record offsets, the mask's offset in the mask
 * store; then the stage ring (D entries).
 */
export const FR_K = 0;
export const FR_N = 1;
export const FR_D = 2;
export const FR_HEAD = 3;
export const FR_OCC = 4;
export const FR_BEFORE = 5;
export const FR_BUF = 6;
export const FR_BUFCAP = 7;
export const FR_RSTAGE = 8;
export const FR_WSTAGE = 9;
export const FR_WBIT = 10;
export const FR_IN = 11;
export const FR_OUT = 12;
export const FR_MASK = 13;
export const FR_PIPE = 14;
/** The testbench source's record (testbench.ts SourceProc, offering without end): the input port's record offset. */
export const SR_OUT = 0;
export const SOURCE_RECORD = 1;
/**
 * A replayer's record (memo-cells.ts ReplayProc): input and output boundary FIFO record offsets, the process id of the
 * mover whose beats its writes stand for (−1: none), then the cycles of its next input and output accesses as the
 * reference's shifted (buffers of REPLAY_BUFFER entries each, from RP_BUF): how many are buffered and how many done.
 */
export const RP_IN = 0;
export const RP_OUT = 1;
export const RP_MOVER = 2;
export const RP_INN = 3;
export const RP_INPOS = 4;
export const RP_OUTN = 5;
export const RP_OUTPOS = 6;
export const RP_BUF = 7;
export const REPLAY_BUFFER = 2048;
/** What kind of record a kernel-lane process is stepped from (SimProc.recordKind). */
export const KIND_PIPE = 0;
export const KIND_UNPACK = 1;
export const KIND_MOVE = 2;
export const KIND_FRP = 3;
export const KIND_SOURCE = 4;
export const KIND_REPLAY = 5;

export function ringMask(depth: number): number {
  let r = 1;
  while (r < depth + 1) r <<= 1;
  return r - 1;
}

/** Record size for a pipeline that runs each of `loops` in turn. */
export function pipeRecordSize(loops: CompiledLoop[]): number {
  const maxA = Math.max(...loops.map((l) => l.stage.length));
  return P_ACC + 3 * maxA + ringMask(Math.max(...loops.map((l) => l.depth))) + 1;
}

/** Load `loop` into the record at b (empty pipeline); `maskOff` is its mask's offset in the mask store. */
export function loadLoop(S: Int32Array | number[], b: number, loop: CompiledLoop, maskOff: number, steadyOff: number, idleOff: number, rmask: number): void {
  const na = loop.stage.length;
  S[b + P_N] = loop.n;
  S[b + P_D] = loop.depth;
  S[b + P_HEAD] = 0;
  S[b + P_OCC] = 0;
  S[b + P_RMASK] = rmask;
  S[b + P_NACC] = na;
  S[b + P_MASK] = maskOff;
  S[b + P_STEADY] = steadyOff;
  S[b + P_IDLE] = idleOff;
  S[b + P_SM] = 0;
  for (let a = 0; a < na; a++) {
    S[b + P_ACC + 3 * a] = loop.stage[a];
    S[b + P_ACC + 3 * a + 1] = loop.fifo[a] * FS;
    S[b + P_ACC + 3 * a + 2] = loop.isWrite[a];
  }
  const ring = S[b + P_RING];
  for (let j = 0; j <= rmask; j++) S[ring + j] = BUBBLE;
}

/** Write the stage ring of a pipeline left in steady mode (stage j holds x − j), so that it can be read again. */
export function materialise(S: Int32Array, b: number): void {
  const x = S[b + P_SM] - 1;
  if (x < 0) return;
  const D = S[b + P_D];
  const ring = S[b + P_RING];
  const rm = S[b + P_RMASK];
  const head = S[b + P_HEAD];
  for (let j = 0; j < D; j++) S[ring + ((head - j) & rm)] = x - j;
  S[b + P_OCC] = D;
  S[b + P_SM] = 0;
}

/** Logical state of a pipe record for memo.ts: loaded loop, next iteration, stage contents from stage 0 on. */
export function pipeState(S: Int32Array, b: number, out: number[]): void {
  materialise(S, b);
  const ring = S[b + P_RING];
  const rm = S[b + P_RMASK];
  const head = S[b + P_HEAD];
  out.push(S[b + P_MASK], S[b + P_K]);
  for (let j = 0; j < S[b + P_D]; j++) out.push(S[ring + ((head - j) & rm)]);
}

/** Iteration in stage s of the candidate configuration (s ≥ 1: stage s − 1 now). */
function stageAt(S: Int32Array, b: number, s: number, cand: number): number {
  return s === 0 ? cand : S[S[b + P_RING] + ((S[b + P_HEAD] - s + 1) & S[b + P_RMASK])];
}

/** Blocking accesses of the candidate configuration (for the deadlock report). */
export function pipeBlockers(S: Int32Array, M: Uint8Array, F: Fifos, b: number, cand: number, c: number): Array<{ fifo: number; on: 'empty' | 'full' }> {
  const out: Array<{ fifo: number; on: 'empty' | 'full' }> = [];
  materialise(S, b);
  for (let a = 0; a < S[b + P_NACC]; a++) {
    const o = b + P_ACC + 3 * a;
    const i = stageAt(S, b, S[o], cand);
    if (i < 0 || (M[S[b + P_MASK] + i] & (1 << a)) === 0) continue;
    const f = S[o + 1] / FS;
    const w = S[o + 2] === 1;
    if (w ? !F.canWrite(f, c) : !F.canRead(f, c)) out.push({ fifo: f, on: w ? 'full' : 'empty' });
  }
  return out;
}
