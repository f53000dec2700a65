/**
 * The compiled step (steady.c, built to WebAssembly by `npm run build:kernel` and stored in steady-wasm.ts): the
 * common steps of every process with a record in the pipe store — stall-all loops, FSM sub-loops, II = 2 unpackers,
 * free-running MACs, link movers, the testbench source, the memo's replayers — about twice as fast as the same steps
 * in JavaScript (bench:simulate -- --js). The scheduler's pipe store, FIFO records and rings, awake loop list, record
 * offsets, access tables and lean statistics move into the module's memory; JavaScript keeps using them through
 * typed-array views, and takes what a step leaves to it from the event list.
 */
import { STALL_IN, STALL_OUT } from '../step-codes.ts';
import * as FL from '../fifos.ts';
import * as PL from '../pipe.ts';
import { STEADY_WASM_BASE64 } from './steady-wasm.ts';

/** The arrays the kernel reads and writes (the scheduler's own, before they move). */
export interface SteadyArrays {
  ps: Int32Array;
  fifo: Int32Array;
  ring: Int32Array;
  list: Int32Array;
  pipeOf: Int32Array;
  masks: Uint8Array;
  /** Lean accounting: cycles by category per process, non-busy steps of the awake stretch, consecutive blocked steps. */
  stats: Float64Array;
  nonBusy: Float64Array;
  blockedRun: Uint8Array;
  /** Per process: the kind of record pipeOf points at (pipe.ts KIND_PIPE, KIND_UNPACK, KIND_MOVE). */
  kind: Uint8Array;
}

/**
 * What JavaScript must do after a kernel step, in order (SteadyKernel.events, x · 16 + kind): report an access to a
 * FIFO the memo records, wake the processes sleeping on a FIFO (x a FIFO record offset, f · 16), count the beat a
 * mover moved (x its process id).
 */
export const EV_READ = 0;
export const EV_WRITE = 1;
export const EV_WAKE_PRODUCERS = 2;
export const EV_WAKE_CONSUMERS = 3;
export const EV_COUNT = 4;
/** Events one process step can leave at most (8 accesses, each a wake and a record). */
const EVENTS_PER_STEP = 17;

interface Exports {
  layout(what: number): number;
  /** The arrays' addresses in steady.c's setup() order (`order` in create), then the patience. */
  setup(...addressesThenPatience: number[]): void;
  step(c: number, n: number): number;
  __heap_base: WebAssembly.Global;
}

// The record offsets, kinds and stall categories steady.c was compiled with, in the order of its layout() table
// (read when a kernel is created).
const layout = () => [
  FL.WR, FL.RD, FL.LRD, FL.LWR, FL.DEPTH, FL.LAT, FL.BASE, FL.CAP, FL.PEAK, FL.CWF, FL.PWF, FL.REC,
  PL.P_K, PL.P_N, PL.P_D, PL.P_STEADY, PL.P_IDLE, PL.P_SM, PL.P_ACC, PL.MIN_SKIP,
  PL.U_K, PL.U_N, PL.U_S1, PL.U_CUR, PL.U_PENDING, PL.U_STARTED, PL.U_IN, PL.U_OUT,
  PL.KIND_PIPE, PL.KIND_UNPACK, STALL_IN, STALL_OUT,
  PL.M_IN, PL.M_OUT, PL.M_COUNT, PL.KIND_MOVE, EV_READ, EV_WRITE, EV_WAKE_PRODUCERS, EV_WAKE_CONSUMERS, EV_COUNT,
  PL.FR_K, PL.FR_N, PL.FR_D, PL.FR_HEAD, PL.FR_OCC, PL.FR_BEFORE, PL.FR_BUF, PL.FR_BUFCAP, PL.FR_RSTAGE, PL.FR_WSTAGE, PL.FR_WBIT, PL.FR_IN, PL.FR_OUT,
  PL.FR_MASK, PL.FR_PIPE, PL.BUBBLE, PL.KIND_FRP, PL.SR_OUT, PL.KIND_SOURCE,
  PL.RP_IN, PL.RP_OUT, PL.RP_MOVER, PL.RP_INN, PL.RP_INPOS, PL.RP_OUTN, PL.RP_OUTPOS, PL.RP_BUF, PL.REPLAY_BUFFER, PL.KIND_REPLAY,
];

/** Base64 → bytes with the platform's atob (Node and browsers alike: the explorer page runs this kernel too). */
function base64Bytes(b64: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

let compiled: WebAssembly.Module | null | undefined;
function kernelModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(base64Bytes(STEADY_WASM_BASE64));
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

export class SteadyKernel {
  private constructor(
    /** Step the first n processes of the awake loop list in cycle c; returns how many were deferred. */
    readonly step: (c: number, n: number) => number,
    /** Indices (into the awake list) of the processes the last step deferred, in list order. */
    readonly deferred: Int32Array,
    /** The last step's events (EV_*): how many at [0], then in order from [1]. */
    readonly events: Int32Array,
    /** The arrays, now in the module's memory: the scheduler must use these from here on. */
    readonly views: SteadyArrays,
  ) {}

  /**
   * A kernel instance holding copies of `a`, keeping a blocked process awake for up to `patience` cycles; null where
   * this Node cannot run the module (JavaScript then steps all).
   */
  static create(a: SteadyArrays, patience: number): SteadyKernel | null {
    const mod = kernelModule();
    if (!mod) return null;
    const memory = new WebAssembly.Memory({ initial: 2 });
    const ex = new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as Exports;
    layout().forEach((v, i) => {
      if (ex.layout(i) !== v) throw new Error(`steady kernel: record layout ${i} is ${ex.layout(i)} in steady.c but ${v} in the simulator — run npm run build:kernel`);
    });
    // The order of steady.c's setup() parameters.
    const order = ['ps', 'fifo', 'ring', 'list', 'pipeOf', 'deferred', 'masks', 'stats', 'nonBusy', 'blockedRun', 'kind', 'events'] as const;
    const parts: Record<(typeof order)[number], Int32Array | Uint8Array | Float64Array> = {
      ...a,
      deferred: new Int32Array(a.list.length),
      events: new Int32Array(1 + a.list.length * EVENTS_PER_STEP),
    };
    let at = (Number(ex.__heap_base.value) + 15) & ~15;
    const offsets = order.map((k) => {
      const o = at;
      at += (parts[k].byteLength + 15) & ~15;
      return o;
    });
    const have = memory.buffer.byteLength;
    try {
      if (at > have) memory.grow(Math.ceil((at - have) / 65536));
    } catch {
      return null; // a design too large for one module memory (4 GiB): JavaScript steps all
    }
    const views = Object.fromEntries(
      order.map((k, i) => {
        const src = parts[k];
        const Ctor = src.constructor as new (b: ArrayBuffer, o: number, n: number) => typeof src;
        const v = new Ctor(memory.buffer, offsets[i], src.length);
        v.set(src as never);
        return [k, v];
      }),
    ) as unknown as SteadyArrays & { deferred: Int32Array; events: Int32Array };
    ex.setup(...offsets, patience);
    return new SteadyKernel(ex.step, views.deferred, views.events, views);
  }
}
