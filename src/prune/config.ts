/**
 * What to prune. A setting is plain data (it crosses to worker threads and into JSON tables):
 * - token pruning: after attention block n (0-based; its residual add included) and before its MLP, keep
 *   ceil(keep × image tokens) image tokens (image tokens = tokens − 1; the CLS token is always kept), optionally
 *   fusing the dropped ones into one extra token (EViT);
 * - weight-block pruning: zero the lowest-L1 square blocks of every 3-bit matmul (q, k, v, o, fc1, fc2 of every
 *   layer) down to a block density; the 8-bit patch embedding and head are left dense.
 */
import { fail } from '../diag/index.ts';

export interface TokenStage {
  /** 0-based transformer layer after whose attention sub-layer the tokens are selected. */
  block: number;
  /** Fraction of the image tokens (tokens − 1) kept, in (0, 1]. */
  keep: number;
}

export interface TokenPruning {
  stages: TokenStage[];
  /** Fuse the dropped tokens into one extra token (CLS-attention-weighted integer mean), as EViT does. */
  fuse: boolean;
  /**
   * Equal softmax scores: `index` (default) keeps the lower token index; `logit` first compares the CLS row's QKᵀ
   * integer scores summed over heads (the 3-bit softmax codes tie a lot), then the index.
   */
  ties?: 'index' | 'logit';
}

export interface WeightPruning {
  /** Fraction of the square blocks kept in every pruned matrix, in (0, 1]. */
  density: number;
  /** Block side (16 → 16×16 blocks). */
  block: number;
}

export interface PruneSetting {
  name: string;
  tokens?: TokenPruning;
  weights?: WeightPruning;
}

/** Image tokens kept at a stage: ceil(keep × (tokens − 1)), at least 1. */
export function keptTokens(tokens: number, keep: number): number {
  return Math.max(1, Math.min(tokens - 1, Math.ceil(keep * (tokens - 1) - 1e-9)));
}

/** Token count after a selection stage: CLS + kept + the fused token (when fusing and something was dropped). */
export function tokensAfter(tokens: number, keep: number, fuse: boolean): number {
  const k = keptTokens(tokens, keep);
  return 1 + k + (fuse && k < tokens - 1 ? 1 : 0);
}

/**
 * Tokens each layer runs: `attn[n]` for attention block n, `mlp[n]` for MLP n (after the selection of layer n).
 * Static for a setting (the keep rates are fixed), so the hardware can be built for them.
 */
export function tokenSchedule(tokens: number, depth: number, t?: TokenPruning): { attn: number[]; mlp: number[] } {
  const attn: number[] = [];
  const mlp: number[] = [];
  let cur = tokens;
  for (let n = 0; n < depth; n++) {
    attn.push(cur);
    const stage = t?.stages.find((s) => s.block === n);
    if (stage) cur = tokensAfter(cur, stage.keep, t!.fuse);
    mlp.push(cur);
  }
  return { attn, mlp };
}

export function checkSetting(s: PruneSetting, depth: number): PruneSetting {
  for (const st of s.tokens?.stages ?? []) {
    if (!Number.isInteger(st.block) || st.block < 0 || st.block >= depth)
      fail('BAD_ARGUMENT', `token-pruning block ${st.block} is outside 0..${depth - 1}`, s.name);
    if (!(st.keep > 0 && st.keep <= 1)) fail('BAD_ARGUMENT', `keep rate ${st.keep} must be in (0, 1]`, s.name);
  }
  if (s.weights) {
    if (!(s.weights.density > 0 && s.weights.density <= 1)) fail('BAD_ARGUMENT', `block density ${s.weights.density} must be in (0, 1]`, s.name);
    if (!Number.isInteger(s.weights.block) || s.weights.block < 1) fail('BAD_ARGUMENT', `block side ${s.weights.block} must be a positive integer`, s.name);
  }
  return s;
}

const stagesAt = (blocks: number[], keep: number): TokenStage[] => blocks.map((block) => ({ block, keep }));

/** The sweep of issue 6: no pruning; keep 0.9/0.7/0.5 at layers 3, 6, 9; densities 0.9/0.75/0.5 of 16×16 blocks; a
 * combination; keep 0.7/0.5 with QKᵀ tie-breaking. */
export function defaultGrid(blocks = [3, 6, 9], blockSide = 16): PruneSetting[] {
  const tok = (keep: number): TokenPruning => ({ stages: stagesAt(blocks, keep), fuse: true });
  const wts = (density: number): WeightPruning => ({ density, block: blockSide });
  return [
    { name: 'none' },
    { name: 'keep 0.9', tokens: tok(0.9) },
    { name: 'keep 0.7', tokens: tok(0.7) },
    { name: 'keep 0.5', tokens: tok(0.5) },
    { name: 'density 0.9', weights: wts(0.9) },
    { name: 'density 0.75', weights: wts(0.75) },
    { name: 'density 0.5', weights: wts(0.5) },
    { name: 'keep 0.7 (logit ties)', tokens: { ...tok(0.7), ties: 'logit' } },
    { name: 'keep 0.5 (logit ties)', tokens: { ...tok(0.5), ties: 'logit' } },
    { name: 'keep 0.9 + density 0.9', tokens: tok(0.9), weights: wts(0.9) },
  ];
}

/**
 * Beyond the grid: selection from layer 1 on (layers 1, 4, 7) at keep 0.5, the earliest pruning for which
 * the planner finds ≥ 1.5× the unpruned throughput on a VCK190 (layers 3, 6, 9 leave 196 tokens in four attention
 * blocks, whose K/V serialisers cap the pipeline near 1.38×).
 */
export function earlyGrid(): PruneSetting[] {
  return [{ name: 'keep 0.5 at 1,4,7 (logit ties)', tokens: { stages: stagesAt([1, 4, 7], 0.5), fuse: true, ties: 'logit' } }];
}

/** What `vitpipe prune-sweep` and bench:prune evaluate. */
export function sweepGrid(): PruneSetting[] {
  return [...defaultGrid(), ...earlyGrid()];
}

