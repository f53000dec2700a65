/**
 * Dynamic token selection in integer arithmetic (EViT-style, as the Parikh et al. FCCM 2024 code does it), defined
 * exactly so that every machine gives the same result:
 * - score of image token j = Σ_h P[h][0][j], the CLS row of the block's integer softmax output (3-bit codes here),
 *   summed over heads;
 * - ranking: higher score first, ties to the lower token index (optionally first to the higher CLS-row QKᵀ score
 *   summed over heads, `ties: 'logit'`); the CLS token (row 0) is always kept;
 * - the kept rows keep their original order;
 * - fused token (when fusing and something was dropped): row f[c] = round(Σ_j s_j·x_j[c] / Σ_j s_j) over the dropped
 *   tokens j, with s_j their scores; when every dropped score is 0, the plain mean (s_j = 1). Rounding is half up:
 *   f = floor((2·num + den) / (2·den)). A weighted mean stays within the rows' range, so no width grows.
 */
import type { TokenPruner } from '../engine/index.ts';
import { keptTokens, type TokenPruning } from './config.ts';

/** Scores of the image tokens 1..T−1 (index 0 of the result is token 1). */
export function clsScores(probs: Int32Array, heads: number, tokens: number): Int32Array {
  const s = new Int32Array(tokens - 1);
  for (let h = 0; h < heads; h++) {
    const row = h * tokens * tokens; // [h][query 0][key]
    for (let j = 1; j < tokens; j++) s[j - 1] += probs[row + j];
  }
  return s;
}

/** Token indices (1-based image tokens) of the `keep` best scores, in increasing index order; `second` breaks ties first. */
export function rankTokens(scores: Int32Array, keep: number, second?: Int32Array): number[] {
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  idx.sort((a, b) => scores[b] - scores[a] || (second ? second[b] - second[a] : 0) || a - b);
  return idx
    .slice(0, keep)
    .sort((a, b) => a - b)
    .map((i) => i + 1);
}

/** Integer division rounding half up (den > 0). */
function roundDiv(num: number, den: number): number {
  return Math.floor((2 * num + den) / (2 * den));
}

export interface Selection {
  x: Int32Array;
  tokens: number;
  kept: number[];
  dropped: number[];
}

/** Keep CLS plus the kept image tokens (in order), then the fused token of the dropped ones (when fusing). */
export function selectTokens(x: Int32Array, tokens: number, width: number, scores: Int32Array, keep: number, fuse: boolean, second?: Int32Array): Selection {
  const k = keptTokens(tokens, keep);
  const kept = rankTokens(scores, k, second);
  const isKept = new Uint8Array(tokens);
  for (const t of kept) isKept[t] = 1;
  const dropped: number[] = [];
  for (let t = 1; t < tokens; t++) if (!isKept[t]) dropped.push(t);
  const fused = fuse && dropped.length > 0;
  const outTokens = 1 + kept.length + (fused ? 1 : 0);
  const out = new Int32Array(outTokens * width);
  out.set(x.subarray(0, width), 0);
  kept.forEach((t, i) => out.set(x.subarray(t * width, (t + 1) * width), (i + 1) * width));
  if (fused) {
    let sum = 0;
    for (const t of dropped) sum += scores[t - 1];
    const plain = sum <= 0;
    const weight = (t: number) => (plain ? 1 : scores[t - 1]);
    const den = plain ? dropped.length : sum;
    const base = (outTokens - 1) * width;
    for (let c = 0; c < width; c++) {
      let num = 0; // |num| < 2^15 · 21 · 195 < 2^53: exact in a double
      for (const t of dropped) num += weight(t) * x[t * width + c];
      out[base + c] = roundDiv(num, den);
    }
  }
  return { x: out, tokens: outTokens, kept, dropped };
}

/** The engine hook for a token-pruning setting (`infer(…, { tokenPruner })`). */
export function makeTokenPruner(t: TokenPruning, heads: number, width: number): TokenPruner {
  const keepAt = new Map(t.stages.map((s) => [s.block, s.keep]));
  return (block, x, tokens, probs, qk) => {
    const keep = keepAt.get(block);
    if (keep === undefined) return { x, tokens };
    const second = t.ties === 'logit' ? clsScores(qk, heads, tokens) : undefined;
    const sel = selectTokens(x, tokens, width, clsScores(probs, heads, tokens), keep, t.fuse, second);
    return { x: sel.x, tokens: sel.tokens };
  };
}
