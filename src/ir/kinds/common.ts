import type { TableSize } from '../../model/index.ts';
import type { Access, LoopProgram, Predicate, Process, Stages, TimingProgram } from '../types.ts';

/** What each process kind owns: port widths, its per-image timing program, its analytic cycle count, its checks. */
export interface KindSpec<P extends Process> {
  /** Lanes expected on each input and output port; stream widths are checked against these. */
  ports(p: P): { inputs: number[]; outputs: number[] };
  timing(p: P): TimingProgram;
  /** Geometry problems as [field, message] pairs (empty when fine). */
  check(p: P): Array<[string, string]>;
}

export const ALWAYS: Predicate = { div: 1, mod: 1, lo: 0, hi: 1 };
/** i mod m = r */
export const every = (m: number, r = m - 1): Predicate => ({ div: 1, mod: m, lo: r, hi: r + 1 });
/** lo ≤ (i div d) mod m < hi */
export const pred = (div: number, mod: number, lo: number, hi: number): Predicate => ({ div, mod, lo, hi });

export function holds(w: Predicate, i: number): boolean {
  const v = Math.floor(i / w.div) % w.mod;
  if (v < w.lo || v >= w.hi) return false;
  if (w.values && !w.values.includes(v)) return false;
  return w.and ? holds(w.and, i) : true;
}

/** A string that identifies a predicate (cache keys of compiled loops). */
export function predicateKey(w: Predicate): string {
  const base = `${w.div},${w.mod},${w.lo},${w.hi}`;
  return `${base}${w.values ? `[${w.values.join(' ')}]` : ''}${w.and ? `&${predicateKey(w.and)}` : ''}`;
}

export const read = (port: number, stage: number, when: Predicate = ALWAYS): Access => ({ dir: 'read', port, stage, when });
export const write = (port: number, stage: number, when: Predicate = ALWAYS): Access => ({ dir: 'write', port, stage, when });

export function stallAll(n: number, s: Stages, accesses: Access[]): TimingProgram {
  return { style: 'loop', stall: 'all', frpBuffer: 0, loop: { n, depth: s.depth, accesses } };
}

/** A sub-loop inside an FSM process lasts n + 1 + (D − 2) cycles unstalled (done when the exit slot is in stage D−2). */
export function subLoopCycles(l: LoopProgram): number {
  return l.n + 1 + Math.max(0, l.depth - 2);
}

/** Cycles per image of a timing program when never stalled. */
export function programCycles(t: TimingProgram): number {
  if (t.style === 'loop') return t.loop.n + 1;
  if (t.style === 'unpack-ii2') return 2 * t.n + 1;
  const body = t.body.reduce((s, st) => s + (st.kind === 'state' ? 1 : subLoopCycles(st.loop)), 0);
  return 1 + t.repeat * body + (t.readyState ? 1 : 0);
}

/** `a` must be a positive multiple of `b`. */
export function divides(out: Array<[string, string]>, field: string, total: number, part: number, what: string): void {
  if (!Number.isInteger(part) || part <= 0) out.push([field, `${field} must be a positive integer, got ${part}`]);
  else if (total % part !== 0) out.push([field, `${field} = ${part} does not divide ${what} = ${total}`]);
}

/** Lookup tables are indexed by a clamped cursor: at least one entry; values up to 64 bits. */
export function checkTable(out: Array<[string, string]>, field: string, t: TableSize): void {
  if (!Number.isInteger(t.entries) || t.entries < 1) out.push([field, `a table needs a positive whole number of entries, got ${t.entries}`]);
  else if (!Number.isInteger(t.bits) || t.bits < 1 || t.bits > 64) out.push([field, `table entries must be 1..64 bits wide, got ${t.bits}`]);
}

export function checkStages(out: Array<[string, string]>, field: string, s: Stages, needRead = true, needWrite = true): void {
  if (!Number.isInteger(s.depth) || s.depth < 1) out.push([`${field}.depth`, `pipeline depth must be ≥ 1, got ${s.depth}`]);
  if (needRead && (s.read < 0 || s.read >= s.depth)) out.push([`${field}.read`, `read stage ${s.read} outside 0..${s.depth - 1}`]);
  if (needWrite && (s.write < 0 || s.write >= s.depth)) out.push([`${field}.write`, `write stage ${s.write} outside 0..${s.depth - 1}`]);
}

/**
 * A three-pass row operator (LayerNorm over channels, softmax over keys): per token pair, pass 0 reads the row's
 * `rowBeats` beats, pass 1 computes, pass 2 writes them — each pass one beat per cycle, stall-all.
 */
export function threePassKind<P extends Process & { tt: number; tp: number; cp: number; stages: Stages }>(
  rowLength: (p: P) => number,
  rowField: string,
): KindSpec<P> {
  return {
    ports: (p) => ({ inputs: [p.tp * p.cp], outputs: [p.tp * p.cp] }),
    timing(p) {
      const ct = rowLength(p) / p.cp;
      return stallAll(p.tt * 3 * ct, p.stages, [
        read(0, p.stages.read, pred(1, 3 * ct, 0, ct)),
        write(0, p.stages.write, pred(1, 3 * ct, 2 * ct, 3 * ct)),
      ]);
    },
    check(p) {
      const out: Array<[string, string]> = [];
      divides(out, 'cp', rowLength(p), p.cp, rowField);
      checkStages(out, 'stages', p.stages);
      return out;
    },
  };
}
