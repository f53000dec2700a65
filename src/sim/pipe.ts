import type { Access, LoopProgram } from '../ir/index.ts';
import { STALL_IN, STALL_OUT, type Scheduler } from './core.ts';

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
}

const maskCache = new Map<string, Uint8Array>();
function accessMask(l: LoopProgram): Uint8Array {
  const key = `${l.n}|${l.accesses.map((a) => `${a.when.div},${a.when.mod},${a.when.lo},${a.when.hi}`).join(';')}`;
  let m = maskCache.get(key);
  if (m) return m;
  if (l.accesses.length > 8) throw new Error('at most 8 accesses per loop');
  m = new Uint8Array(l.n + 1);
  for (let i = 0; i < l.n; i++) {
    let bits = 0;
    l.accesses.forEach((a, k) => {
      const v = Math.floor(i / a.when.div) % a.when.mod;
      if (v >= a.when.lo && v < a.when.hi) bits |= 1 << k;
    });
    m[i] = bits;
  }
  maskCache.set(key, m);
  return m;
}

export function compileLoop(l: LoopProgram, ins: number[], outs: number[]): CompiledLoop {
  const a: Access[] = l.accesses;
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
    mask: accessMask(l),
  };
}

/**
 * A stall-all pipeline (DATAFLOW §0.3) as a ring of D stages holding iteration indices. Each cycle it tries to
 * advance to the configuration "everything one stage further, `cand` in stage 0"; if any access of that
 * configuration would read an empty FIFO or write a full one, nothing happens (the whole pipeline freezes).
 */
export class StallPipe {
  /** Ring of stage contents, size a power of two ≥ depth; stage j of the current configuration is pipe[(head − j) & m]. */
  pipe: Int32Array;
  m: number;
  head = 0;
  occupied = 0;
  /** Set by tryAdvance when frozen: the first blocking access's category. */
  blockedCat = 0;
  private act = new Int32Array(8);
  constructor(readonly sim: Scheduler, readonly pid: number, public loop: CompiledLoop) {
    this.m = ringMask(loop.depth);
    this.pipe = new Int32Array(this.m + 1).fill(BUBBLE);
  }

  reset(loop: CompiledLoop): void {
    this.loop = loop;
    this.m = ringMask(loop.depth);
    if (this.pipe.length !== this.m + 1) this.pipe = new Int32Array(this.m + 1);
    this.pipe.fill(BUBBLE);
    this.head = 0;
    this.occupied = 0;
  }

  /** Iteration in stage s of the candidate configuration (s ≥ 1: stage s − 1 now). */
  at(s: number, cand: number): number {
    return s === 0 ? cand : this.pipe[(this.head - s + 1) & this.m];
  }

  /** Returns true when the pipeline advanced (accesses done); false when frozen (waits registered). */
  tryAdvance(cand: number, c: number): boolean {
    const L = this.loop;
    const F = this.sim.fifos;
    const stage = L.stage;
    const mask = L.mask;
    const pipe = this.pipe;
    const m = this.m;
    const head = this.head;
    const na = stage.length;
    const act = this.act;
    let nact = 0;
    let blocked = false;
    for (let a = 0; a < na; a++) {
      const s = stage[a];
      const i = s === 0 ? cand : pipe[(head - s + 1) & m];
      if (i < 0 || (mask[i] & (1 << a)) === 0) continue;
      const f = L.fifo[a];
      if (L.isWrite[a]) {
        if (F.wr[f] - F.rd[f] + (F.lastRd[f] === c ? 1 : 0) >= F.depth[f]) {
          if (!blocked) this.blockedCat = STALL_OUT;
          blocked = true;
          this.sim.waitWrite(this.pid, f, c);
        }
      } else {
        const r = F.rd[f];
        if (F.wr[f] <= r || F.ring[F.base[f] + (r & F.cap[f])] > c - F.lat[f]) {
          if (!blocked) this.blockedCat = STALL_IN;
          blocked = true;
          this.sim.waitRead(this.pid, f, c);
        }
      }
      act[nact++] = a;
    }
    if (blocked) return false;
    for (let j = 0; j < nact; j++) {
      const a = act[j];
      if (L.isWrite[a]) this.sim.write(L.fifo[a], c);
      else this.sim.read(L.fifo[a], c);
    }
    const h = (head + 1) & m;
    const old = pipe[(head - this.loop.depth + 1) & m];
    const entry = cand >= 0 ? cand : BUBBLE;
    pipe[(head - this.loop.depth + 1) & m] = BUBBLE;
    pipe[h] = entry;
    this.head = h;
    this.occupied += (entry >= 0 ? 1 : 0) - (old >= 0 ? 1 : 0);
    return true;
  }

  /** Blocking accesses of the candidate configuration (for the deadlock report). */
  blockers(cand: number, c: number): Array<{ fifo: number; on: 'empty' | 'full' }> {
    const L = this.loop;
    const F = this.sim.fifos;
    const out: Array<{ fifo: number; on: 'empty' | 'full' }> = [];
    for (let a = 0; a < L.stage.length; a++) {
      const i = this.at(L.stage[a], cand);
      if (i < 0 || (L.mask[i] & (1 << a)) === 0) continue;
      if (L.isWrite[a] ? !F.canWrite(L.fifo[a], c) : !F.canRead(L.fifo[a], c))
        out.push({ fifo: L.fifo[a], on: L.isWrite[a] ? 'full' : 'empty' });
    }
    return out;
  }
}

function ringMask(depth: number): number {
  let r = 1;
  while (r < depth + 1) r <<= 1;
  return r - 1;
}
