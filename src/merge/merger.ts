/**
 * The engine hook for a merge schedule (`infer(…, { tokenMerger })`) and proportional attention's integer bias.
 *
 * Proportional attention (ToMe: softmax(QKᵀ + log s)) in the softmax's own table domain: the exp table is indexed by
 * the cursor c = (max − score + b1) >> s1 and falls with c, so a key of size s is shifted δ(s) cursor steps towards
 * the max, δ(s) = the d in 0..bound1 whose exp[d]·s is nearest exp[0] (ties to the smaller d; δ(1) = 0). As a score
 * bias that is exactly δ(s)·2^s1 added to the key's score in every row (the max taken over the biased scores).
 */
import type { TokenMerger } from '../engine/network.ts';
import type { SoftmaxParams } from '../ops/index.ts';
import type { ModelWeights } from '../refs/index.ts';
import { shapeOf } from '../model/index.ts';
import { keyMetric, matchTokens, mergeRows } from './match.ts';

/** δ(s): cursor steps by which a key of size s moves towards the row's max. */
export function sizeSteps(sm: Pick<SoftmaxParams, 'exp' | 'bound1'>, size: number): number {
  let best = 0;
  let bestErr = Infinity;
  for (let d = 0; d <= sm.bound1 && d < sm.exp.length; d++) {
    const err = Math.abs(size * sm.exp[d] - sm.exp[0]);
    if (err < bestErr) [best, bestErr] = [d, err];
  }
  return best;
}

/** Score bias of every key from the token sizes (proportional attention), in score units. */
export function sizeBias(sm: Pick<SoftmaxParams, 'exp' | 'bound1' | 's1'>, sizes: Int32Array): Int32Array {
  const memo = new Map<number, number>();
  return sizes.map((s) => {
    let v = memo.get(s);
    if (v === undefined) memo.set(s, (v = sizeSteps(sm, s) * 2 ** sm.s1));
    return v;
  });
}

export interface MergeOptions {
  /** Proportional attention (default true). */
  proportional?: boolean;
  /** Receives the token sizes after each merge that merged something (layer n; codegen's expectations). */
  onSizes?: (block: number, sizes: Int32Array) => void;
}

/** A fresh merger per image: it carries the token sizes from layer to layer. */
export function makeTokenMerger(weights: ModelWeights, rates: number[], opts: MergeOptions = {}): () => TokenMerger {
  const cfg = weights.config;
  const { headDim } = shapeOf(cfg);
  const proportional = opts.proportional ?? true;
  return () => {
    let sizes: Int32Array = new Int32Array(cfg.tokens).fill(1);
    let merged = false;
    return {
      keyBias: (block) => (proportional && merged ? sizeBias(weights.attention[block].softmax, sizes) : undefined),
      merge: (block, x, tokens, keys) => {
        const r = rates[block] ?? 0;
        if (r === 0 || tokens < 3) return { x, tokens };
        const m = matchTokens(keyMetric(keys, tokens, cfg.heads, headDim), tokens, headDim, r);
        if (m.sources.length === 0) return { x, tokens };
        const out = mergeRows(x, sizes, tokens, cfg.width, m);
        sizes = out.sizes;
        merged = true;
        opts.onSizes?.(block, sizes);
        return { x: out.x, tokens: out.tokens };
      },
    };
  };
}
