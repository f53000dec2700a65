/**
 * What to prune. A setting is plain data (it crosses to worker threads and into JSON tables):
 * - token pruning: after attention block n (0-based; its residual add included) and before its MLP, keep
 *   ceil(keep × image tokens) image tokens (image tokens = tokens − 1; the CLS token is always kept), optionally
 *   fusing the dropped ones into one extra token (EViT);
 * - weight-block pruning: zero the lowest-L1 square blocks of the 3-bit matmuls (q, k, v, o, fc1, fc2; all six of
 *   every layer by default, or per kind and per layer) down to a block density; the 8-bit patch embedding and head
 *   are left dense.
 */
import { z } from 'zod';
import { fail, readJsonFile } from '../diag/index.ts';
import { mergeRates, mergeSchedule, type MergeTokens } from '../merge/config.ts';

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

/** The 3-bit static matmuls of a transformer layer (o is the attention output projection). */
export const MATMUL_NAMES = ['q', 'k', 'v', 'o', 'fc1', 'fc2'] as const;
export type MatmulName = (typeof MATMUL_NAMES)[number];

export interface WeightPruning {
  /** Fraction of the square blocks kept in every pruned matrix, in (0, 1]: the default for every matmul kind. */
  density: number;
  /** Block side (16 → 16×16 blocks). */
  block: number;
  /** Density per matmul kind, overriding `density` (1 leaves that kind dense). */
  perMatmul?: Partial<Record<MatmulName, number>>;
  /** Only these layers (0-based) are pruned; default: every layer. */
  layers?: number[];
  /**
   * Fold the mean of the removed MAC terms into the bias: bias[co] += round(Σ_{pruned ci} W[co][ci]·μ[ci]), μ the
   * per-channel mean of the matmul's input over the tokens of the refs' own input image (HG-PIPE's golden input,
   * not one of the evaluation photos), measured on the unpruned model. Default false.
   */
  correctBias?: boolean;
}

/** Block density of one matmul of one layer under a weight-pruning setting (1 = dense). */
export function densityOf(p: WeightPruning, name: MatmulName, layer: number): number {
  if (p.layers && !p.layers.includes(layer)) return 1;
  return p.perMatmul?.[name] ?? p.density;
}

/** A key that is equal for two weight-pruning settings exactly when they prune the same blocks (for caches). */
export function weightPruningKey(p: WeightPruning | undefined, depth: number): string {
  if (!p) return 'dense';
  const all = Array.from({ length: depth }, (_, n) => MATMUL_NAMES.map((m) => densityOf(p, m, n)));
  return all.flat().every((d) => d === 1) ? 'dense' : `${p.block}|${p.correctBias ? 'bc|' : ''}${all.map((d) => d.join(',')).join(';')}`;
}

export interface PruneSetting {
  name: string;
  tokens?: TokenPruning;
  weights?: WeightPruning;
  /** Token merging (ToMe, docs/TOKEN-MERGING.md): r per layer, or one r for every layer. Not with `tokens`. */
  mergeTokens?: MergeTokens;
  /** With mergeTokens: proportional attention (the softmax's size bias); default true. */
  proportionalAttention?: boolean;
}

/** Tokens each attention / MLP block runs under a setting (token pruning or token merging). */
export function settingSchedule(tokens: number, depth: number, s: Pick<PruneSetting, 'tokens' | 'mergeTokens'>): { attn: number[]; mlp: number[] } {
  return s.mergeTokens !== undefined ? mergeSchedule(tokens, mergeRates(s.mergeTokens, depth)) : tokenSchedule(tokens, depth, s.tokens);
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

/** Validate a setting against the model depth; errors name `where` (default: the setting's name). */
export function checkSetting(s: PruneSetting, depth: number, where = s.name): PruneSetting {
  const stages = s.tokens?.stages ?? [];
  if (s.mergeTokens !== undefined) {
    if (s.tokens && s.tokens.stages.length > 0) fail('BAD_ARGUMENT', 'token pruning ("tokens") and token merging ("mergeTokens") cannot be combined', where);
    mergeRates(s.mergeTokens, depth, where);
  }
  for (const st of stages) {
    if (stages.filter((x) => x.block === st.block).length > 1) fail('BAD_ARGUMENT', `token-pruning block ${st.block} is listed twice`, where);
    if (!Number.isInteger(st.block) || st.block < 0 || st.block >= depth)
      fail('BAD_ARGUMENT', `token-pruning block ${st.block} is outside 0..${depth - 1}`, where);
    if (!(st.keep > 0 && st.keep <= 1)) fail('BAD_ARGUMENT', `keep rate ${st.keep} must be in (0, 1]`, where);
  }
  if (s.weights) {
    const densityOk = (d: number, what: string) => {
      if (!(d > 0 && d <= 1)) fail('BAD_ARGUMENT', `${what} ${d} must be in (0, 1]`, where);
    };
    densityOk(s.weights.density, 'block density');
    if (!Number.isInteger(s.weights.block) || s.weights.block < 1) fail('BAD_ARGUMENT', `block side ${s.weights.block} must be a positive integer`, where);
    for (const [name, d] of Object.entries(s.weights.perMatmul ?? {})) {
      if (!(MATMUL_NAMES as readonly string[]).includes(name)) fail('BAD_ARGUMENT', `unknown matmul '${name}'; expected one of ${MATMUL_NAMES.join(', ')}`, where);
      densityOk(d!, `${name} block density`);
    }
    for (const n of s.weights.layers ?? [])
      if (!Number.isInteger(n) || n < 0 || n >= depth) fail('BAD_ARGUMENT', `weight-pruning layer ${n} is outside 0..${depth - 1}`, where);
  }
  return s;
}

const density = z.number().gt(0).lte(1);
/** A pruning setting as written in a `--settings` JSON file (the same shape as PruneSetting). */
export const PruneSettingSchema = z.strictObject({
  name: z.string().min(1),
  tokens: z.strictObject({
    stages: z.array(z.strictObject({ block: z.number().int().nonnegative(), keep: density })),
    fuse: z.boolean(),
    ties: z.enum(['index', 'logit']).optional(),
  }).optional(),
  weights: z.strictObject({
    density,
    block: z.number().int().positive(),
    perMatmul: z.strictObject(Object.fromEntries(MATMUL_NAMES.map((m) => [m, density.optional()])) as Record<MatmulName, z.ZodOptional<typeof density>>).optional(),
    layers: z.array(z.number().int().nonnegative()).optional(),
    correctBias: z.boolean().optional(),
  }).optional(),
  mergeTokens: z.union([z.number().int().nonnegative(), z.array(z.number().int().nonnegative())]).optional(),
  proportionalAttention: z.boolean().optional(),
});

/**
 * Settings from a JSON file: an array of PruneSetting (or `{ "settings": [...] }`, as `--out` tables hold them),
 * validated by shape and against the model depth; names must be distinct.
 */
export function loadSettings(file: string, depth: number): PruneSetting[] {
  const raw = readJsonFile(file, 'BAD_ARGUMENT', 'settings file') as unknown;
  // an --out table holds its settings under "settings"; parse the one shape the file has, so errors name its fields
  const wrapped = raw !== null && typeof raw === 'object' && !Array.isArray(raw);
  const list = wrapped ? z.object({ settings: z.array(PruneSettingSchema) }).transform((d) => d.settings).safeParse(raw) : z.array(PruneSettingSchema).safeParse(raw);
  if (!list.success) fail('BAD_ARGUMENT', `not a list of settings: ${z.prettifyError(list.error).replace(/\n+/g, '; ')}`, file);
  const seen = new Set<string>();
  for (const s of list.data) {
    if (seen.has(s.name)) fail('BAD_ARGUMENT', `setting name '${s.name}' appears twice`, file);
    seen.add(s.name);
  }
  if (list.data.length === 0) fail('BAD_ARGUMENT', 'no settings', file);
  return list.data.map((s) => checkSetting(s as PruneSetting, depth, `${file}: setting '${s.name}'`));
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

