/**
 * Running the integer engine under pruning settings: one photo through every setting in one go (decoded once),
 * in this thread or over a worker pool (one task per photo; weights and pruned weights are cached per thread).
 */
import { cachedWeights, infer, loadInput, mapInputs, type BatchOptions, runAttention, runHead, runMlp, runPatchEmbed, topK, type InputSpec } from '../engine/index.ts';
import { idealArith } from '../ops/index.ts';
import { MODEL_ZOO, shapeOf, type ViTConfig } from '../model/index.ts';
import { readRefsInt32, type ModelWeights } from '../refs/index.ts';
import { weightPruningKey, type PruneSetting } from './config.ts';
import { makeTokenMerger, mergeRates } from '../merge/index.ts';
import { makeTokenPruner } from './tokens.ts';
import { matmulInputMeans, pruneModelWeights, type InputMeans } from './weights.ts';

export interface PruneRunRequest {
  weightsDir: string;
  settings: PruneSetting[];
  model?: ViTConfig;
}

export interface PrunedPrediction {
  /** Five best classes, best first (ties to the lower class). */
  top5: number[];
}

export interface PruneRunResult {
  file: string;
  /** One entry per setting, in request order. */
  predictions: PrunedPrediction[];
}

const prunedCache = new Map<string, ModelWeights>();
const meansCache = new Map<string, InputMeans>();

/** Matmul input means of the unpruned model on the refs' own input image (bias correction's calibration input). */
function refsInputMeans(dir: string, model: ViTConfig, base: ModelWeights): InputMeans {
  const key = `${dir}\0${model.name}`;
  let m = meansCache.get(key);
  if (!m) {
    const x = readRefsInt32(dir, 'patch_embed_input', [model.tokens, shapeOf(model).patchElements]);
    meansCache.set(key, (m = matmulInputMeans(base, [x], (w, p, trace) => void infer(w, p, { trace }))));
  }
  return m;
}

/** The model's weights with a setting's weight pruning applied (cached per weights directory and pruning). */
export function weightsFor(dir: string, model: ViTConfig, s: PruneSetting): ModelWeights {
  const base = cachedWeights(dir, model);
  const wk = weightPruningKey(s.weights, model.depth);
  if (wk === 'dense') return base;
  const key = `${dir}\0${model.name}\0${wk}`;
  let w = prunedCache.get(key);
  if (!w) prunedCache.set(key, (w = pruneModelWeights(base, s.weights!, s.weights!.correctBias ? refsInputMeans(dir, model, base) : undefined)));
  return w;
}

/** Logits of one patch matrix under one setting (ideal arithmetic, as the refs). */
export function inferPruned(weights: ModelWeights, patches: Int32Array, s: PruneSetting): Int32Array {
  const cfg = weights.config;
  if (s.mergeTokens !== undefined)
    return infer(weights, patches, { tokenMerger: makeTokenMerger(weights, mergeRates(s.mergeTokens, cfg.depth), { proportional: s.proportionalAttention }) }).logits;
  const tokenPruner = s.tokens && s.tokens.stages.length > 0 ? makeTokenPruner(s.tokens, cfg.heads, cfg.width) : undefined;
  return infer(weights, patches, { tokenPruner }).logits;
}

/**
 * Logits of several settings that share the same weights, computing the common unpruned trunk once: every layer
 * before the first selection stage of any setting, plus that stage's attention block. Equal, integer for integer,
 * to `inferPruned` per setting (the same operators on the same operands; tested).
 */
export function inferSharedTrunk(weights: ModelWeights, patches: Int32Array, settings: PruneSetting[]): Int32Array[] {
  const cfg = weights.config;
  if (settings.some((s) => s.mergeTokens !== undefined)) {
    // merging starts in layer 0's attention (sizes and keys): those settings run whole, the others share their trunk
    const rest = settings.filter((s) => s.mergeTokens === undefined);
    const shared = rest.length ? inferSharedTrunk(weights, patches, rest) : [];
    let k = 0;
    return settings.map((s) => (s.mergeTokens !== undefined ? inferPruned(weights, patches, s) : shared[k++]));
  }
  const first = (s: PruneSetting) => Math.min(cfg.depth, ...(s.tokens?.stages.map((st) => st.block) ?? []));
  const split = Math.min(...settings.map(first));
  if (split >= cfg.depth) return settings.map(() => infer(weights, patches).logits);
  let x = runPatchEmbed(cfg, weights.patchEmbed, patches, idealArith('PATCH_EMBED'));
  for (let n = 0; n < split; n++) {
    x = runAttention(cfg, n, weights.attention[n], x, idealArith(`ATTN${n}`));
    x = runMlp(cfg, n, weights.mlp[n], x, idealArith(`MLP${n}`));
  }
  let probs: Int32Array = new Int32Array(0);
  let qk: Int32Array = new Int32Array(0);
  const trunk = runAttention(cfg, split, weights.attention[split], x, idealArith(`ATTN${split}`), undefined, {
    tokens: cfg.tokens,
    onProbs: (p, _t, s) => ([probs, qk] = [p, s]),
  });
  return settings.map((s) => {
    const pruner = s.tokens && s.tokens.stages.length > 0 ? makeTokenPruner(s.tokens, cfg.heads, cfg.width) : undefined;
    let { x: y, tokens } = pruner ? pruner(split, trunk, cfg.tokens, probs, qk) : { x: trunk, tokens: cfg.tokens };
    let p: Int32Array = probs;
    let q: Int32Array = qk;
    for (let n = split; n < cfg.depth; n++) {
      if (n > split) {
        y = runAttention(cfg, n, weights.attention[n], y, idealArith(`ATTN${n}`), undefined, { tokens, onProbs: (a, _t, b) => ([p, q] = [a, b]) });
        if (pruner) ({ x: y, tokens } = pruner(n, y, tokens, p, q));
      }
      y = runMlp(cfg, n, weights.mlp[n], y, idealArith(`MLP${n}`), undefined, { tokens });
    }
    return runHead(cfg, weights.head, y, idealArith('HEAD'));
  });
}

export async function runPrunedOne(input: InputSpec, req: PruneRunRequest): Promise<PruneRunResult> {
  const model = req.model ?? MODEL_ZOO['hgpipe-deit-tiny'];
  const patches = await loadInput(input, model);
  // settings with the same weights share their unpruned trunk
  const groups = new Map<string, number[]>();
  req.settings.forEach((s, k) => {
    const key = weightPruningKey(s.weights, model.depth);
    groups.set(key, [...(groups.get(key) ?? []), k]);
  });
  const predictions: PrunedPrediction[] = new Array(req.settings.length);
  for (const ks of groups.values()) {
    const settings = ks.map((k) => req.settings[k]);
    const logits = inferSharedTrunk(weightsFor(req.weightsDir, model, settings[0]), patches, settings);
    ks.forEach((k, j) => (predictions[k] = { top5: topK(logits[j], 5).map((t) => t.class) }));
  }
  return { file: input.file, predictions };
}

export type PruneBatchOptions = BatchOptions<PruneRunResult>;

/** Every input under every setting over all cores, results in input order; the first failure stops the batch. */
export function runPrunedBatch(inputs: InputSpec[], req: PruneRunRequest, opts: PruneBatchOptions = {}): Promise<PruneRunResult[]> {
  return mapInputs(inputs, req, runPrunedOne, new URL('./worker.ts', import.meta.url), opts);
}
