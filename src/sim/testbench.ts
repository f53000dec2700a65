import * as core from './core.ts';
import type { Scheduler, SimProc } from './core.ts';
import { FS } from './fifos.ts';
import * as pipe from './pipe.ts';

// Module constants rather than imported bindings (those compile to getter calls under tsx).
const { BUSY, IDLE, SLEEP, STALL_IN, STALL_OUT } = core;

type Wait = { fifo: number; on: 'empty' | 'full' | 'region' };

/** A beat counter that keeps each image's first and last beat cycle (testbench ends, block output windows). */
export interface ImageBeats {
  beats: number;
  readonly perImage: number;
  first: number[];
  last: number[];
}

/** Count a beat moved in cycle c. */
export function countBeat(r: ImageBeats, c: number): void {
  const img = Math.floor(r.beats / r.perImage);
  if (r.beats % r.perImage === 0) r.first[img] = c;
  r.last[img] = c;
  r.beats++;
}

/**
 * Testbench source: offers a beat every cycle; records each image's first and last accepted beat. Offering without
 * end (as the RTL runs do), it has a record (pipe.ts SR_*): the compiled kernel takes its steps from cycle 0 on, then
 * counts the beat here (kernelBeat). A limited source is JavaScript's alone (its count decides when it stops).
 */
export class SourceProc implements SimProc, ImageBeats {
  readonly post = false;
  readonly block = -1;
  readonly record?: number;
  readonly recordKind?: number;
  beats = 0;
  first: number[] = [];
  last: number[] = [];
  constructor(
    readonly sim: Scheduler, readonly id: number, readonly name: string, readonly outF: number, readonly perImage: number,
    readonly limit = Infinity,
  ) {
    if (limit !== Infinity) return;
    const rec = new Array<number>(pipe.SOURCE_RECORD);
    rec[pipe.SR_OUT] = outF * FS;
    this.record = sim.allocRecord(rec);
    this.recordKind = pipe.KIND_SOURCE;
  }
  /** The kernel moved a beat in cycle c. */
  kernelBeat(c: number): void {
    countBeat(this, c);
  }
  step(c: number): number {
    if (this.beats >= this.limit) return IDLE | SLEEP;
    // Cycle 0 is the first input handshake; before it the blocks start up (ap_start is held high from the outset).
    if (c < 0) {
      this.sim.wake(this.id, 0);
      return IDLE | SLEEP;
    }
    if (!this.sim.fifos.canWrite(this.outF, c)) {
      this.sim.waitWrite(this.id, this.outF, c);
      return STALL_OUT | SLEEP;
    }
    this.sim.write(this.outF, c);
    countBeat(this, c);
    return BUSY;
  }
  waits(): Wait[] {
    return [{ fifo: this.outF, on: 'full' }];
  }
}

/** Testbench sink: always ready; records each image's first and last output beat. */
export class SinkProc implements SimProc, ImageBeats {
  readonly post = false;
  readonly block = -1;
  beats = 0;
  first: number[] = [];
  last: number[] = [];
  constructor(readonly sim: Scheduler, readonly id: number, readonly name: string, readonly inF: number, readonly perImage: number) {}
  step(c: number): number {
    if (!this.sim.fifos.canRead(this.inF, c)) {
      this.sim.waitRead(this.id, this.inF, c);
      return IDLE | SLEEP;
    }
    this.sim.read(this.inF, c);
    countBeat(this, c);
    return BUSY;
  }
  waits(): Wait[] {
    return [{ fifo: this.inF, on: 'empty' }];
  }
}

/**
 * A combinational stream handshake between two FIFOs (block output slice → link FIFO → next block's input slice).
 * The compiled kernel takes its steps that go ahead (its record: pipe.ts M_*), then counts the beat here (kernelBeat).
 */
export class MoverProc implements SimProc, ImageBeats {
  readonly post = false;
  readonly record: number;
  readonly recordKind = pipe.KIND_MOVE;
  beats = 0;
  first: number[] = [];
  last: number[] = [];
  constructor(
    readonly sim: Scheduler, readonly id: number, readonly name: string, readonly block: number, readonly inF: number, readonly outF: number,
    /** When set, the mover takes a block's output beats and records each image's first and last (per-block windows). */
    readonly perImage = 0,
  ) {
    const rec = new Array<number>(pipe.MOVE_RECORD).fill(0);
    rec[pipe.M_IN] = inF * FS;
    rec[pipe.M_OUT] = outF * FS;
    rec[pipe.M_COUNT] = perImage ? 1 : 0;
    this.record = sim.allocRecord(rec);
  }
  /** The kernel moved a beat in cycle c. */
  kernelBeat(c: number): void {
    countBeat(this, c);
  }
  step(c: number): number {
    const F = this.sim.fifos;
    if (!F.canRead(this.inF, c)) {
      this.sim.waitRead(this.id, this.inF, c);
      return STALL_IN | SLEEP;
    }
    if (!F.canWrite(this.outF, c)) {
      this.sim.waitWrite(this.id, this.outF, c);
      return STALL_OUT | SLEEP;
    }
    this.sim.read(this.inF, c);
    this.sim.write(this.outF, c);
    if (this.perImage) countBeat(this, c);
    return BUSY;
  }
  waits(): Wait[] {
    const F = this.sim.fifos;
    return F.canRead(this.inF, this.sim.now) ? [{ fifo: this.outF, on: 'full' }] : [{ fifo: this.inF, on: 'empty' }];
  }
}
