import type { TokenMergeProcess } from '../types.ts';
import { type KindSpec, checkStages, divides, every, read, stallAll, write } from './common.ts';
import { DIVIDER_DEPTH } from './token-select.ts';

/**
 * Token merging between an attention block and its MLP (semantics: src/merge/match.ts, docs/TOKEN-MERGING.md). Like
 * the token selector, ping-pong stores make the data-dependent choice data-independent in time. Four sides, each its
 * own loop so that none adds its phases to another's:
 * - `keys`: read the block's quantized keys (a tap on the k quant output) at the stream's rate, summing heads into
 *   the metric k̄ and its squared norms, into one bank of a two-bank metric store; signal `metric`;
 * - `match` (FSM): take `metric`; the similarity loop: every (A, B) pair's dot product, `simLanes` metric elements
 *   per cycle, keeping each A row's best partner (exact cross-multiplied comparison); the rank loop: each A row's rank
 *   among the A rows by counting, RANK_LANES comparisons per cycle; one pass writes every row's output slot into one
 *   bank of a two-bank plan store; signal `plan`;
 * - `gather`: take `plan`, claim an image bank with the first beat, read the image, writing each row into its slot
 *   (unmerged A rows and B rows) or adding size·x into its partner's slot (the slot keeps its size sum); signal
 *   `ready` with the last beat;
 * - `emit`: take `ready`, read the bank's slots out at the output width through tp·cpOut pipelined dividers (a
 *   merged slot's mean, rounded half up; other slots pass), release the bank (`claim`).
 * Token slots are padded to tp (a padding slot is never matched and leaves as zeros).
 */

/** Rank comparisons per cycle (one comparator over the stored best cosines: its dot²·norm products take DSPs). */
export const RANK_LANES = 1;
const KEY_DEPTH = 2;
const SIM_DEPTH = 8;

const slots = (tokens: number, tp: number) => Math.ceil(tokens / tp) * tp;

export function tokenMergeGeometry(p: TokenMergeProcess) {
  const slotsIn = slots(p.tokensIn, p.tp);
  const slotsOut = slots(p.tokensOut, p.tp);
  const setA = Math.ceil(p.tokensIn / 2) - 1; // even rows without CLS
  const setB = Math.floor(p.tokensIn / 2);
  return {
    slotsIn,
    slotsOut,
    setA,
    setB,
    keyBeats: (slotsIn / p.tp) * (p.width / p.cpKey),
    inBeats: (slotsIn / p.tp) * (p.width / p.cpIn),
    outBeats: (slotsOut / p.tp) * (p.width / p.cpOut),
    similarityCycles: setA * setB * Math.ceil(p.headDim / p.simLanes),
    rankCycles: Math.ceil((setA * setA) / RANK_LANES),
  };
}

const last = (n: number) => every(n, n - 1);

export const tokenMerge: KindSpec<TokenMergeProcess> = {
  ports: (p) =>
    p.side === 'keys'
      ? { inputs: [p.tp * p.cpKey], outputs: [1] }
      : p.side === 'match'
        ? { inputs: [1], outputs: [1] }
        : p.side === 'gather'
          ? { inputs: [p.tp * p.cpIn, 1], outputs: [1, 1] }
          : { inputs: [1, 1], outputs: [p.tp * p.cpOut] },
  timing(p) {
    const g = tokenMergeGeometry(p);
    const s = p.stages;
    if (p.side === 'emit') {
      // the dividers deepen the read-out pipeline
      const e = { depth: s.depth + DIVIDER_DEPTH, read: s.read, write: s.write + DIVIDER_DEPTH };
      return stallAll(g.outBeats, e, [read(0, e.read, every(g.outBeats, 0)), write(0, e.write), read(1, e.write, last(g.outBeats))]);
    }
    if (p.side === 'keys') return stallAll(g.keyBeats, { depth: KEY_DEPTH, read: 0, write: 1 }, [read(0, 0), write(0, 1, last(g.keyBeats))]);
    if (p.side === 'match')
      return {
        style: 'fsm',
        repeat: 1,
        readyState: false,
        body: [
          { kind: 'loop', loop: { n: g.similarityCycles, depth: SIM_DEPTH, accesses: [read(0, 0, every(g.similarityCycles, 0))] } },
          { kind: 'loop', loop: { n: g.rankCycles, depth: 2, accesses: [] } },
          // one pass over the rows writes their slots into the plan bank and signals it
          { kind: 'loop', loop: { n: g.slotsIn, depth: 2, accesses: [write(0, 1, last(g.slotsIn))] } },
        ],
      };
    // gather: take a plan and claim an image bank with the first beat, signal the full bank with the last
    return stallAll(g.inBeats, s, [read(0, s.read), read(1, s.read, every(g.inBeats, 0)), write(0, s.write, every(g.inBeats, 0)), write(1, s.write, last(g.inBeats))]);
  },
  check(p) {
    const out: Array<[string, string]> = [];
    for (const f of ['tokensIn', 'tokensOut', 'merged', 'width', 'heads', 'headDim', 'tp', 'keyBits', 'bits', 'sizeBits', 'simLanes'] as const)
      if (!Number.isInteger(p[f]) || p[f] < 1) out.push([f, `${f} must be a positive integer, got ${p[f]}`]);
    if (out.length) return out;
    if (p.merged > Math.floor((p.tokensIn - 1) / 2)) out.push(['merged', `merged = ${p.merged} exceeds the ${Math.floor((p.tokensIn - 1) / 2)} mergeable rows`]);
    if (p.tokensOut !== p.tokensIn - p.merged) out.push(['tokensOut', `tokensOut = ${p.tokensOut}, but ${p.tokensIn} − ${p.merged} merged = ${p.tokensIn - p.merged}`]);
    if (p.heads * p.headDim !== p.width) out.push(['headDim', `heads × headDim = ${p.heads * p.headDim}, expected the width ${p.width}`]);
    if (2 ** p.sizeBits <= p.tokensIn) out.push(['sizeBits', `${p.sizeBits} bits cannot hold a token size up to ${p.tokensIn}`]);
    divides(out, 'cpIn', p.width, p.cpIn, 'width');
    divides(out, 'cpOut', p.width, p.cpOut, 'width');
    divides(out, 'cpKey', p.width, p.cpKey, 'width');
    divides(out, 'simLanes', p.headDim, p.simLanes, 'headDim');
    checkStages(out, 'stages', p.stages);
    return out;
  },
};
