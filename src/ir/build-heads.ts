import { fail } from '../diag/index.ts';
import { type BlockBuilder, st } from './block-builder.ts';

/**
 * Per-head split and merge of the attention block. One head-split (head-merge) process makes heads + 1 FIFO
 * accesses per iteration; the simulator's per-iteration access masks hold 8 (src/sim/pipe.ts, and the compiled
 * kernel's), so beyond 7 heads the split becomes a tree: a split into G groups of contiguous heads (a group is a
 * "head" of k·headDim channels), then each group into its heads; the merge mirrors it. HG-PIPE's 3 heads stay flat.
 */
export const MAX_LOOP_ACCESSES = 8;

/** Groups of the first level of a tree over n heads (n when a single process can serve them all; 0: impossible). */
function groupsOf(n: number): number {
  if (n + 1 <= MAX_LOOP_ACCESSES) return n;
  // two levels when possible (fewest processes), else the most groups one process can serve, recursively
  for (let g = 2; g < MAX_LOOP_ACCESSES; g++) if (n % g === 0 && n / g + 1 <= MAX_LOOP_ACCESSES) return g;
  for (let g = MAX_LOOP_ACCESSES - 1; g >= 2; g--) if (n % g === 0 && groupsOf(n / g) > 0) return g;
  return 0;
}

/** Whether n head streams can be split and merged by a tree of equal groups (a prime count above 7 cannot). */
export const canSplitHeads = (n: number): boolean => groupsOf(n) > 0;

export function headGroups(n: number): number {
  const g = groupsOf(n);
  if (g === 0) fail('BAD_DESIGN', `${n} head streams: a head split serves at most ${MAX_LOOP_ACCESSES - 1}, and ${n} cannot be grouped evenly`, 'attention block', 'let several heads share one attention pipeline (headsPerUnit)');
  return g;
}

export interface HeadStreams {
  tt: number;
  lanes: number;
  /** Channels per beat and per token. */
  cp: number;
  headDim: number;
  bits: number;
}

/**
 * Split `input` (rows of heads·headDim channels) into the `leaves` streams (already declared, one per head).
 * Returns, per head, the process that writes its stream (it starts the head's consumers).
 */
export function addHeadSplit(b: BlockBuilder, name: string, origin: string, input: string, leaves: string[], s: HeadStreams): string[] {
  const n = leaves.length;
  const groups = headGroups(n);
  const k = n / groups;
  const outputs = k === 1 ? leaves : Array.from({ length: groups }, (_, g) => b.stream(`${name}.group${g}`, s.lanes, s.bits, 2, 'shift-register'));
  b.add({ kind: 'head-split', name, origin, inputs: [input], outputs, tt: s.tt, heads: groups, headDim: k * s.headDim, cp: s.cp, lanes: s.lanes, bits: s.bits, stages: st(3, 1, 2) });
  if (k === 1) return leaves.map(() => name);
  return outputs.flatMap((group, g) => {
    b.start(name, `${name}${g}`);
    return addHeadSplit(b, `${name}${g}`, origin, group, leaves.slice(g * k, (g + 1) * k), s);
  });
}

/**
 * The merge process that head h's producer starts, or null: as in HG-PIPE, only the first head of each merge
 * process starts it (the top merge, `name`, is started by its first group's merge).
 */
export function headMergeStarters(name: string, heads: number): Array<string | null> {
  const groups = headGroups(heads);
  const k = heads / groups;
  if (k === 1) return Array.from({ length: heads }, (_, h) => (h === 0 ? name : null));
  return Array.from({ length: groups }, (_, g) => headMergeStarters(`${name}${g}`, k)).flat();
}

/** Merge the per-head `leaves` streams back into rows on `output` (the mirror of addHeadSplit). */
export function addHeadMerge(b: BlockBuilder, name: string, origin: string, leaves: string[], output: string, s: HeadStreams): void {
  const n = leaves.length;
  const groups = headGroups(n);
  const k = n / groups;
  const inputs = k === 1 ? leaves : Array.from({ length: groups }, (_, g) => b.stream(`${name}.group${g}`, s.lanes, s.bits, 2, 'shift-register'));
  if (k > 1)
    inputs.forEach((group, g) => {
      addHeadMerge(b, `${name}${g}`, origin, leaves.slice(g * k, (g + 1) * k), group, s);
      if (g === 0) b.start(`${name}${g}`, name);
    });
  b.add({ kind: 'head-merge', name, origin, inputs, outputs: [output], tt: s.tt, heads: groups, headDim: k * s.headDim, cp: s.cp, lanes: s.lanes, bits: s.bits, stages: st(4, 2, 3) });
}
