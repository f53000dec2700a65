import type { ScoreTapProcess, TokenSelectProcess } from '../types.ts';
import { type KindSpec, checkStages, divides, every, pred, read, stallAll, write } from './common.ts';

/**
 * Dynamic token selection between an attention block and its MLP (src/prune/tokens.ts defines what is kept). The
 * selector cannot emit a token before the CLS row of every head's softmax is known and ranked, and which tokens
 * leave depends on the data; the hardware makes its timing data-independent with a ping-pong image store:
 * - `rank` side (FSM): claim a bank; read the H score streams (the softmax output beats of query pair 0, tapped by
 *   `score-tap`), summing query 0's scores per key; rank (a histogram over the H·(2^A − 1) + 1 score values finds
 *   the threshold, then one pass over the tokens gives each kept token its output slot); read the image, writing
 *   each kept token into its slot of the bank and accumulating the dropped ones (score-weighted); divide the fused
 *   token (one channel per cycle, a pipelined divider); signal `ready`;
 * - `emit` side (one sub-loop): take `ready`, read the bank's slots out in order at the output width, release the
 *   bank (`claim`) with the last beat.
 * The two 1-bit streams are the ping-pong handshake: `claim` (depth 2 = two banks) is written by the rank side
 * before it fills a bank and read by the emit side when it has drained one; `ready` says a bank is full. Token
 * slots are padded to tp (a padding slot is never kept, never fused, and leaves as zeros).
 */

/** Pipeline depth of the sequential fused-token divider (one quotient per cycle). */
export const DIVIDER_DEPTH = 32;
const SCORE_DEPTH = 2;

const slots = (tokens: number, tp: number) => Math.ceil(tokens / tp) * tp;
/** Image tokens kept → tokens leaving (CLS + kept + the fused token when something was dropped). */
export const selectedTokens = (p: Pick<TokenSelectProcess, 'tokensIn' | 'keep' | 'fuse'>): number =>
  1 + p.keep + (p.fuse && p.keep < p.tokensIn - 1 ? 1 : 0);

export function tokenSelectGeometry(p: TokenSelectProcess) {
  const slotsIn = slots(p.tokensIn, p.tp);
  const slotsOut = slots(p.tokensOut, p.tp);
  return {
    slotsIn,
    slotsOut,
    scoreBeats: slotsIn / p.cpScore,
    inBeats: (slotsIn / p.tp) * (p.width / p.cpIn),
    outBeats: (slotsOut / p.tp) * (p.width / p.cpOut),
    /** Distinct summed scores: H heads × (2^A − 1) + 1. */
    scoreValues: p.heads * (2 ** p.scoreBits - 1) + 1,
    fused: p.tokensOut > 1 + p.keep,
  };
}

const last = (n: number) => every(n, n - 1);

export const tokenSelect: KindSpec<TokenSelectProcess> = {
  ports: (p) =>
    p.side === 'rank'
      ? { inputs: [p.tp * p.cpIn, ...Array.from({ length: p.heads }, () => p.tp * p.cpScore)], outputs: [1, 1] }
      : { inputs: [1, 1], outputs: [p.tp * p.cpOut] },
  timing(p) {
    const g = tokenSelectGeometry(p);
    const s = p.stages;
    if (p.side === 'emit')
      return stallAll(g.outBeats, s, [read(0, s.read, every(g.outBeats, 0)), write(0, s.write), read(1, s.write, last(g.outBeats))]);
    const scores = Array.from({ length: p.heads }, (_, h) => read(1 + h, 0));
    const ready = (n: number, stage: number) => write(1, stage, last(n));
    return {
      style: 'fsm',
      repeat: 1,
      readyState: false,
      body: [
        // claim a bank with the first score beat (the bank is written only after ranking)
        { kind: 'loop', loop: { n: g.scoreBeats, depth: SCORE_DEPTH, accesses: [...scores, write(0, SCORE_DEPTH - 1, every(g.scoreBeats, 0))] } },
        // threshold search over the score histogram, then one slot-assignment pass over the tokens
        { kind: 'loop', loop: { n: g.scoreValues + g.slotsIn, depth: 1, accesses: [] } },
        { kind: 'loop', loop: { n: g.inBeats, depth: s.depth, accesses: [read(0, s.read), ...(g.fused ? [] : [ready(g.inBeats, s.write)])] } },
        ...(g.fused ? [{ kind: 'loop' as const, loop: { n: p.width, depth: DIVIDER_DEPTH, accesses: [ready(p.width, DIVIDER_DEPTH - 1)] } }] : []),
      ],
    };
  },
  check(p) {
    const out: Array<[string, string]> = [];
    for (const f of ['tokensIn', 'tokensOut', 'keep', 'width', 'tp', 'heads', 'scoreBits', 'bits'] as const)
      if (!Number.isInteger(p[f]) || p[f] < 1) out.push([f, `${f} must be a positive integer, got ${p[f]}`]);
    if (out.length) return out;
    if (p.keep > p.tokensIn - 1) out.push(['keep', `keep = ${p.keep} exceeds the ${p.tokensIn - 1} image tokens`]);
    if (p.tokensOut !== selectedTokens(p))
      out.push(['tokensOut', `tokensOut = ${p.tokensOut}, but CLS + ${p.keep} kept${p.fuse ? ' + the fused token' : ''} = ${selectedTokens(p)}`]);
    divides(out, 'cpIn', p.width, p.cpIn, 'width');
    divides(out, 'cpOut', p.width, p.cpOut, 'width');
    divides(out, 'cpScore', slots(p.tokensIn, p.tp), p.cpScore, 'token slots in');
    checkStages(out, 'stages', p.stages);
    return out;
  },
};

/**
 * Forwards every beat of a stream and copies its first `tapBeats` beats to a second output: on a softmax output,
 * the rows of query pair 0, i.e. the CLS row's scores that the token selector ranks.
 */
export const scoreTap: KindSpec<ScoreTapProcess> = {
  ports: (p) => ({ inputs: [p.lanes], outputs: [p.lanes, p.lanes] }),
  timing: (p) =>
    stallAll(p.beats, p.stages, [
      read(0, p.stages.read),
      write(0, p.stages.write),
      write(1, p.stages.write, pred(p.tapBeats, Math.ceil(p.beats / p.tapBeats), 0, 1)),
    ]),
  check(p) {
    const out: Array<[string, string]> = [];
    if (!Number.isInteger(p.beats) || p.beats < 1) out.push(['beats', `beats must be a positive integer, got ${p.beats}`]);
    if (!Number.isInteger(p.tapBeats) || p.tapBeats < 1 || p.tapBeats > p.beats)
      out.push(['tapBeats', `tapBeats must be in 1..beats (${p.beats}), got ${p.tapBeats}`]);
    checkStages(out, 'stages', p.stages);
    return out;
  },
};
