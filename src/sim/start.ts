import type { Scheduler } from './core.ts';

/**
 * ap_ctrl_chain start logic of one process (DATAFLOW §0.6): it may begin an invocation when every incoming start
 * token is present (or, for a region member, when its region allows it) and every outgoing start FIFO has room
 * unless it has already pushed for this invocation. Tokens are pushed in the first cycle of an invocation and the
 * incoming ones popped at the exit iteration.
 */
export class StartCtl {
  once = false;
  region: RegionCtl | null = null;
  member = 0;
  /** Cycles of the exit iterations (ap_ready), recorded when set (process-isolation measurements). */
  exits: number[] | null = null;
  constructor(readonly sim: Scheduler, readonly pid: number, readonly ins: number[], readonly outs: number[]) {}

  /** Logical state (memo.ts). */
  memoState(out: number[]): void {
    out.push(this.once ? 1 : 0);
  }

  canStart(c: number): boolean {
    const F = this.sim.fifos;
    if (this.region) {
      if (!this.region.memberStart(this.member, c)) return false;
    } else for (const f of this.ins) if (!F.canRead(f, c)) return false;
    if (!this.once) for (const f of this.outs) if (!F.canWrite(f, c)) return false;
    return true;
  }
  /** Register wakes for whatever currently prevents a start. */
  waitStart(c: number): void {
    const F = this.sim.fifos;
    if (this.region) this.region.waitMember(this.pid, c);
    else for (const f of this.ins) if (!F.canRead(f, c)) this.sim.waitRead(this.pid, f, c);
    if (!this.once) for (const f of this.outs) if (!F.canWrite(f, c)) this.sim.waitWrite(this.pid, f, c);
  }
  onIssue(c: number): void {
    if (this.once) return;
    for (const f of this.outs) this.sim.write(f, c);
    this.once = true;
  }
  onExit(c: number): void {
    if (this.exits) this.exits.push(c);
    if (this.region) this.region.ready(this.member, c);
    else for (const f of this.ins) this.sim.read(f, c);
    this.once = false;
  }
  waits(c: number): Array<{ fifo: number; on: 'empty' | 'full' | 'region' }> {
    const F = this.sim.fifos;
    const out: Array<{ fifo: number; on: 'empty' | 'full' | 'region' }> = [];
    if (this.region) {
      if (!this.region.memberStart(this.member, c)) out.push({ fifo: this.region.token, on: 'region' });
    } else for (const f of this.ins) if (!F.canRead(f, c)) out.push({ fifo: f, on: 'empty' });
    if (!this.once) for (const f of this.outs) if (!F.canWrite(f, c)) out.push({ fifo: f, on: 'full' });
    return out;
  }
}

/**
 * A nested dataflow region with several input processes (DATAFLOW §0.10). Runs in the post phase of each cycle,
 * after its members. `token` is the region's start FIFO; `outs` its outgoing start FIFOs.
 */
export class RegionCtl {
  readonly post = true;
  once = false;
  syncReg: boolean[];
  readyAt: number[];
  memberWaiters: number[] = [];
  constructor(
    readonly sim: Scheduler,
    readonly id: number,
    readonly name: string,
    readonly block: number,
    readonly token: number,
    readonly outs: number[],
    members: number,
  ) {
    this.syncReg = new Array(members).fill(false);
    this.readyAt = new Array(members).fill(-Infinity);
  }

  /** Logical state (memo.ts); `readyAt` only matters in the cycle it was set. */
  memoState(out: number[]): void {
    out.push(this.once ? 1 : 0, ...this.syncReg.map((x) => (x ? 1 : 0)));
  }

  realStart(c: number): boolean {
    const F = this.sim.fifos;
    if (!F.canRead(this.token, c)) return false;
    if (this.once) return true;
    for (const f of this.outs) if (!F.canWrite(f, c)) return false;
    return true;
  }
  memberStart(m: number, c: number): boolean {
    return !this.syncReg[m] && this.realStart(c);
  }
  waitMember(pid: number, c: number): void {
    if (!this.memberWaiters.includes(pid)) this.memberWaiters.push(pid);
    const F = this.sim.fifos;
    if (!F.canRead(this.token, c)) this.sim.waitRead(pid, this.token, c);
    else if (!this.once) for (const f of this.outs) if (!F.canWrite(f, c)) this.sim.waitWrite(pid, f, c);
  }
  ready(m: number, c: number): void {
    this.readyAt[m] = c;
    this.sim.wake(this.id, c);
  }

  step(c: number): number {
    const rs = this.realStart(c);
    const before = this.once;
    const F = this.sim.fifos;
    if (rs && !this.once) for (const f of this.outs) this.sim.write(f, c);
    const sync = this.syncReg.map((s, m) => s || this.readyAt[m] === c);
    let changed = false;
    if (rs && sync.every(Boolean)) {
      this.sim.read(this.token, c);
      this.syncReg.fill(false);
      this.once = false;
      changed = true;
    } else {
      changed = sync.some((s, m) => s !== this.syncReg[m]) || (rs && !before);
      this.syncReg = sync;
      this.once = this.once || rs;
    }
    if (changed && this.memberWaiters.length) {
      for (const p of this.memberWaiters) this.sim.wake(p, c + 1);
      this.memberWaiters.length = 0;
    }
    // Stay awake if a new invocation can begin next cycle; otherwise sleep until the token arrives, the out FIFOs
    // have room, or a member becomes ready (ready() wakes the region).
    if (!this.once) {
      if (!F.canRead(this.token, c + 1)) this.sim.waitRead(this.id, this.token, c + 1);
      else {
        let room = true;
        for (const f of this.outs) if (!F.canWrite(f, c + 1)) (room = false), this.sim.waitWrite(this.id, f, c + 1);
        if (room) return 0;
      }
    }
    return 4 + 3;
  }
  waits(): Array<{ fifo: number; on: 'empty' | 'full' | 'region' }> {
    return [{ fifo: this.token, on: 'empty' }];
  }
}
