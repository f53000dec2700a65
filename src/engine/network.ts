import { fail } from '../diag/index.ts';
import { hardwareArith, idealArith, WrapLog, type Arith, type ArithMode, type WrapEvent, type WrapTally } from '../ops/index.ts';
import { blockTypes, type HardwareTypes, type ModelWeights } from '../refs/index.ts';
import { runAttention, runHead, runMlp, runPatchEmbed, type TraceSink } from './blocks.ts';
import { fastAttention, fastMlp } from './fast/blocks.ts';
import { fastPlan } from './fast/plan.ts';
import { fastPatchEmbed } from './fast/patch-embed.ts';
import { shapeOf } from '../model/index.ts';

export interface InferOptions {
  mode?: ArithMode;
  /** Required in hardware mode: the widths of every block. */
  types?: HardwareTypes;
  trace?: TraceSink;
  /** Stop recording wrap events after this many (the count is still exact). */
  maxWrapEvents?: number;
  /**
   * Token pruning (src/prune): called after attention block n (its residual add included) with the block's output,
   * its token count, its softmax output and its QKᵀ scores; returns the rows the MLP and later blocks run on. Absent ⇒ unpruned.
   */
  tokenPruner?: TokenPruner;
  /**
   * Token merging (src/merge, docs/TOKEN-MERGING.md): a fresh merger per image (it carries the token sizes). Absent ⇒
   * unmerged. Not together with tokenPruner.
   */
  tokenMerger?: () => TokenMerger;
  /** Overrides the arithmetic of every block (e.g. quantization's range recorder); `mode` is then ignored. */
  arith?: (block: string) => Arith;
  /** Run every block on the reference operators (src/ops), never the fast path; for tests and benchmarks. */
  reference?: boolean;
}

export type TokenPruner = (block: number, x: Int32Array, tokens: number, probs: Int32Array, scores: Int32Array) => { x: Int32Array; tokens: number };

/** One image's token merging: the softmax key bias of each attention block and the merge after it. */
export interface TokenMerger {
  /** Per-key score bias for attention block n at its token count (undefined ⇒ none). */
  keyBias(block: number, tokens: number): Int32Array | undefined;
  /** After attention block n (residual add included), from its quantized keys [tokens][width]: the merged rows. */
  merge(block: number, x: Int32Array, tokens: number, keys: Int32Array): { x: Int32Array; tokens: number };
}

export interface InferResult {
  logits: Int32Array;
  /** Hardware mode only: the typed assignments that overflowed, in execution order (the first maxWrapEvents). */
  wraps: WrapEvent[];
  /** Hardware mode only: how many wrap events there were in all. */
  wrapCount: number;
  /** Hardware mode only: per block/operator/field, every wrap counted with its value range. */
  wrapTallies: WrapTally[];
}


/** Run the whole integer network on one patch matrix [tokens][patchElements]. */
export function infer(weights: ModelWeights, patches: Int32Array, opts: InferOptions = {}): InferResult {
  const cfg = weights.config;
  const mode = opts.mode ?? 'ideal';
  const expected = cfg.tokens * shapeOf(cfg).patchElements;
  if (patches.length !== expected)
    fail('BAD_ARGUMENT', `input has ${patches.length} elements; expected [${cfg.tokens}][${shapeOf(cfg).patchElements}]`, 'patches');
  const log = new WrapLog(opts.maxWrapEvents);
  let arithFor: (block: string) => Arith;
  if (opts.arith) {
    arithFor = opts.arith;
  } else if (mode === 'hardware') {
    const types = opts.types ?? fail('BAD_ARGUMENT', 'hardware mode needs the block widths (hardware-types.json)', '--types');
    arithFor = (block) => hardwareArith(block, blockTypes(types, block), log);
  } else {
    arithFor = idealArith;
  }
  const trace = opts.trace;
  const pruner = opts.tokenPruner;
  // The fast path (src/engine/fast) covers untraced, unpruned, unmerged runs of pre-norm models with 16-bit operands
  // in ideal or hardware arithmetic (not an `arith` override such as calibration's range recorder, whose ranges are no types); a
  // block it hands back (a wrap in hardware mode) reruns on the reference operators, which record the wraps.
  const plan = !pruner && !opts.tokenMerger && !trace && !opts.reference && !opts.arith ? fastPlan(weights) : null;
  const pe = arithFor('PATCH_EMBED');
  let x = (plan && fastPatchEmbed(plan, cfg, weights.patchEmbed, patches, pe)) || runPatchEmbed(cfg, weights.patchEmbed, patches, pe, trace);
  if (opts.tokenMerger) {
    if (pruner) fail('BAD_ARGUMENT', 'token pruning and token merging cannot be combined', 'infer options');
    const merger = opts.tokenMerger();
    let tokens = cfg.tokens;
    let keys: Int32Array = new Int32Array(0);
    const onKeys = (k: Int32Array) => (keys = k);
    for (let n = 0; n < cfg.depth; n++) {
      x = runAttention(cfg, n, weights.attention[n], x, arithFor(`ATTN${n}`), trace, { tokens, onKeys, keyBias: merger.keyBias(n, tokens) });
      ({ x, tokens } = merger.merge(n, x, tokens, keys));
      x = runMlp(cfg, n, weights.mlp[n], x, arithFor(`MLP${n}`), trace, { tokens });
    }
  } else if (!pruner) {
    for (let n = 0; n < cfg.depth; n++) {
      const a = arithFor(`ATTN${n}`);
      x = (plan && fastAttention(plan, n, cfg, weights.attention[n], x, a)) || runAttention(cfg, n, weights.attention[n], x, a, trace);
      const m = arithFor(`MLP${n}`);
      x = (plan && fastMlp(plan, n, cfg, weights.mlp[n], x, m)) || runMlp(cfg, n, weights.mlp[n], x, m, trace);
    }
  } else {
    // Variable token counts: every block gets the current count; the pruner sees each attention block's softmax.
    let tokens = cfg.tokens;
    let probs: Int32Array = new Int32Array(0);
    let scores: Int32Array = new Int32Array(0);
    const onProbs = (p: Int32Array, _t: number, s: Int32Array) => ([probs, scores] = [p, s]);
    for (let n = 0; n < cfg.depth; n++) {
      x = runAttention(cfg, n, weights.attention[n], x, arithFor(`ATTN${n}`), trace, { tokens, onProbs });
      ({ x, tokens } = pruner(n, x, tokens, probs, scores));
      x = runMlp(cfg, n, weights.mlp[n], x, arithFor(`MLP${n}`), trace, { tokens });
    }
  }
  const logits = runHead(cfg, weights.head, x, arithFor('HEAD'), trace);
  trace?.('network_output', logits);
  return { logits, wraps: log.events, wrapCount: log.total, wrapTallies: [...log.tallies.values()] };
}

export interface TopK {
  class: number;
  logit: number;
}

/** The k largest logits, ties broken by the lower class index. */
export function topK(logits: ArrayLike<number>, k: number): TopK[] {
  const idx = Array.from({ length: logits.length }, (_, i) => i);
  idx.sort((a, b) => logits[b] - logits[a] || a - b);
  return idx.slice(0, k).map((i) => ({ class: i, logit: logits[i] }));
}
