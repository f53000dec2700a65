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
  };
}

/**
 * A stall-all pipeline (DATAFLOW §0.3) as a ring of D stages holding iteration indices. Each cycle it tries to
 * advance to the configuration "everything one stage further, `cand` in stage 0"; if any access of that
 * configuration would read an empty FIFO or write a full one, nothing happens (the whole pipeline freezes).
 */
export class StallPipe {
  pipe: Int32Array;
  head = 0;
  occupied = 0;
  /** Set by tryAdvance when frozen: the first blocking access's category. */
  blockedCat = 0;
  constructor(readonly sim: Scheduler, readonly pid: number, public loop: CompiledLoop) {
    this.pipe = new Int32Array(loop.depth).fill(BUBBLE);
  }

  reset(loop: CompiledLoop): void {
    this.loop = loop;
    if (this.pipe.length !== loop.depth) this.pipe = new Int32Array(loop.depth);
    this.pipe.fill(BUBBLE);
    this.head = 0;
    this.occupied = 0;
  }

  /** Iteration in stage s of the candidate configuration (s ≥ 1: stage s − 1 now). */
  at(s: number, cand: number): number {
    if (s === 0) return cand;
    const D = this.pipe.length;
    return this.pipe[(this.head - s + 1 + D) % D];
  }

  /** Returns true when the pipeline advanced (accesses done); false when frozen (waits registered). */
  tryAdvance(cand: number, c: number): boolean {
    const L = this.loop;
    const F = this.sim.fifos;
    const D = this.pipe.length;
    const na = L.stage.length;
    let blocked = false;
    for (let a = 0; a < na; a++) {
      const s = L.stage[a];
      const i = s === 0 ? cand : this.pipe[(this.head - s + 1 + D) % D];
      if (i < 0) continue;
      const v = Math.floor(i / L.div[a]) % L.mod[a];
      if (v < L.lo[a] || v >= L.hi[a]) continue;
      const f = L.fifo[a];
      if (L.isWrite[a]) {
        if (!F.canWrite(f, c)) {
          if (!blocked) this.blockedCat = STALL_OUT;
          blocked = true;
          this.sim.waitWrite(this.pid, f, c);
        }
      } else if (!F.canRead(f, c)) {
        if (!blocked) this.blockedCat = STALL_IN;
        blocked = true;
        this.sim.waitRead(this.pid, f, c);
      }
    }
    if (blocked) return false;
    for (let a = 0; a < na; a++) {
      const s = L.stage[a];
      const i = s === 0 ? cand : this.pipe[(this.head - s + 1 + D) % D];
      if (i < 0) continue;
      const v = Math.floor(i / L.div[a]) % L.mod[a];
      if (v < L.lo[a] || v >= L.hi[a]) continue;
      if (L.isWrite[a]) this.sim.write(L.fifo[a], c);
      else this.sim.read(L.fifo[a], c);
    }
    const h = (this.head + 1) % D;
    const old = this.pipe[h];
    const entry = cand >= 0 ? cand : BUBBLE;
    this.pipe[h] = entry;
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
      if (i < 0) continue;
      const v = Math.floor(i / L.div[a]) % L.mod[a];
      if (v < L.lo[a] || v >= L.hi[a]) continue;
      if (L.isWrite[a] ? !F.canWrite(L.fifo[a], c) : !F.canRead(L.fifo[a], c))
        out.push({ fifo: L.fifo[a], on: L.isWrite[a] ? 'full' : 'empty' });
    }
    return out;
  }
}
