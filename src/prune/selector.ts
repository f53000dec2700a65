/**
 * The token-selection process between an attention block and its MLP (hardware model; analytic, not an IR kind).
 * It cannot emit a token before it knows whether the token is kept, and it knows that only once the CLS row of the
 * block's softmax (all keys, every head) has been scored and ranked. vitpipe models the simple, safe structure:
 * - a CLS-score tap: each head's softmax writes its query-0 output (tokens × actBits) to a small buffer; a
 *   histogram ranker (one pass over the T − 1 summed scores, one over the H·(2^A − 1) + 1 score values) finds the
 *   threshold score and how many tokens at the threshold are kept (lowest indices first);
 * - a double-buffered image store: the whole block output (T × width × residual bits) is written while the previous
 *   image is read out, so the decision may come as late as the image's last beat;
 * - the read-out walks every buffered token: kept ones are written to the MLP, dropped ones are accumulated
 *   (score-weighted) into the fused token, which is written last after a per-channel division.
 * Cycles per image (own interval) = max(input beats + ranking, read-out beats + fused-token beats + divider latency).
 * The selector also converts the stream width when the blocks after it run fewer channels per beat.
 */
import { controlCost, fifoCost, memoryCost, res, add, type Resources } from '../cost/index.ts';

export interface SelectorSpec {
  after: string;
  tokensIn: number;
  tokensOut: number;
  width: number;
  heads: number;
  actBits: number;
  residualBits: number;
  /** Tokens per beat, and channels per beat of the residual stream on the input and the output side. */
  tp: number;
  lnCpIn: number;
  lnCpOut: number;
  fuse: boolean;
  uramAvailable: boolean;
}

export interface SelectorModel {
  after: string;
  tokensIn: number;
  tokensOut: number;
  inBeats: number;
  outBeats: number;
  rankCycles: number;
  /** Own interval (cycles per image when never stalled). */
  cycles: number;
  /** Extra latency the selector adds to an image (it holds the whole image). */
  latency: number;
  bufferBits: number;
  resources: Resources;
}

const clog2 = (n: number) => (n <= 1 ? 0 : Math.ceil(Math.log2(n)));
const DIVIDER_LATENCY = 24;

export function selectorModel(s: SelectorSpec): SelectorModel {
  const pairs = (t: number) => Math.ceil(t / s.tp);
  const inBeats = pairs(s.tokensIn) * (s.width / s.lnCpIn);
  const outBeats = pairs(s.tokensOut) * (s.width / s.lnCpOut);
  const beatsPerToken = s.width / s.lnCpOut;
  const scoreValues = s.heads * (2 ** s.actBits - 1) + 1;
  const rankCycles = (s.tokensIn - 1) + scoreValues + 4;
  // the read-out walks every buffered token at the output width
  const readOut = pairs(s.tokensIn) * beatsPerToken + (s.fuse ? beatsPerToken + DIVIDER_LATENCY : 0);
  const cycles = Math.max(inBeats + rankCycles, readOut) + 1;
  const bufferBits = 2 * s.tokensIn * s.width * s.residualBits;
  const lanes = s.tp * Math.max(s.lnCpIn, s.lnCpOut);
  const scoreBits = clog2(scoreValues);
  const accBits = s.residualBits + scoreBits + clog2(s.tokensIn);
  const resources = add(
    // the double image store: 2 × tokens/tp × width/lnCp words of tp·lnCp·residualBits
    memoryCost({ depth: (2 * s.tokensIn * s.width) / lanes, width: lanes * s.residualBits, uramAvailable: s.uramAvailable }),
    // CLS-score taps, one per head (query 0's softmax row), and the summed-score buffer
    ...Array.from({ length: s.heads }, () => fifoCost(Math.ceil(s.tokensIn / s.tp), s.tp * s.actBits, s.uramAvailable)),
    memoryCost({ depth: s.tokensIn, width: scoreBits }),
    // histogram ranker
    res({ lut: scoreValues * (clog2(s.tokensIn) + 2) + 60, ff: scoreValues * clog2(s.tokensIn) + 40 }),
    // fused-token accumulators (one per channel) and a sequential divider
    s.fuse ? res({ lut: s.width * 2 + lanes * accBits * 2 + accBits * accBits, ff: s.width * accBits + accBits * DIVIDER_LATENCY }) : res({}),
    controlCost(cycles, 6),
    controlCost(inBeats),
  );
  return {
    after: s.after,
    tokensIn: s.tokensIn,
    tokensOut: s.tokensOut,
    inBeats,
    outBeats,
    rankCycles,
    cycles,
    latency: inBeats + rankCycles,
    bufferBits,
    resources,
  };
}
