import type { Elaborated } from './elaborate.ts';

/** One hop of a wait-for cycle: `process` waits because `fifo` is `on` (empty: needs its producer; full: its consumer). */
export interface WaitHop {
  process: string;
  fifo: string;
  on: 'empty' | 'full' | 'region';
  /** The process at the other end of that FIFO, which the next hop is about. */
  waitsFor: string;
  occupancy: number;
  depth: number;
}

export interface DeadlockReport {
  cycle: number;
  /** The wait-for cycle, one hop per process; the last hop's `waitsFor` is the first hop's process. */
  waitCycle: WaitHop[];
  /** Every blocked process and what it waits on (for context). */
  blocked: WaitHop[];
  message: string;
}

/**
 * When nothing can change and work remains, build the wait-for graph (process → the process at the other end of
 * each FIFO it is blocked on) and return a cycle in it, one hop per line (STYLE point 10).
 */
export function findDeadlock(e: Elaborated): DeadlockReport {
  const { sim } = e;
  const F = sim.fifos;
  const hopsOf = new Map<number, WaitHop[]>();
  const edges = new Map<number, number[]>();
  for (const p of sim.procs) {
    const ws = p.waits();
    const hops: WaitHop[] = [];
    const next: number[] = [];
    for (const w of ws) {
      const info = F.info[w.fifo];
      const other = w.on === 'full' ? info.consumer : info.producer;
      if (other < 0) continue;
      hops.push({
        process: p.name,
        fifo: info.name,
        on: w.on,
        waitsFor: sim.procs[other].name,
        occupancy: F.level(w.fifo),
        depth: F.depth(w.fifo),
      });
      next.push(other);
    }
    hopsOf.set(p.id, hops);
    edges.set(p.id, next);
  }
  // Find a cycle by DFS from the source (the input side is where the starvation begins), then from anyone.
  const order = [...sim.procs.map((p) => p.id)];
  let found: number[] | null = null;
  const state = new Uint8Array(sim.procs.length);
  const stack: number[] = [];
  const dfs = (u: number): boolean => {
    state[u] = 1;
    stack.push(u);
    for (const v of edges.get(u) ?? []) {
      if (state[v] === 1) {
        found = stack.slice(stack.indexOf(v));
        return true;
      }
      if (state[v] === 0 && dfs(v)) return true;
    }
    stack.pop();
    state[u] = 2;
    return false;
  };
  for (const u of order) if (state[u] === 0 && dfs(u)) break;
  const cyc: number[] = found ?? [];
  const waitCycle = cyc.map((u, k) => {
    const v = cyc[(k + 1) % cyc.length];
    const hops = hopsOf.get(u) ?? [];
    return hops.find((h) => h.waitsFor === sim.procs[v].name) ?? hops[0];
  });
  const blocked = [...hopsOf.values()].flat();
  const lines = waitCycle.map((h) => `  ${h.process} waits: ${h.fifo} is ${h.on} (${h.occupancy}/${h.depth}) → ${h.waitsFor}`);
  const message = waitCycle.length
    ? `deadlock at cycle ${sim.now}: wait-for cycle of ${waitCycle.length} processes\n${lines.join('\n')}`
    : `no progress at cycle ${sim.now} and no wait-for cycle found (${blocked.length} blocked waits)`;
  return { cycle: sim.now, waitCycle, blocked, message };
}
