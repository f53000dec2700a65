/**
 * Structured weight-block pruning: a [CO][CI] matrix is cut into square `block`×`block` blocks (edge blocks may be
 * partial); blocks are ranked by their L1 norm Σ|w|, largest first, ties to the lower block index (row-major over
 * the block grid); the first ceil(density × blocks) are kept and the rest are zeroed. Deterministic by construction.
 */
import { tileSparsityOf } from '../ir/index.ts';
import { PackedWeights } from '../ops/index.ts';
import type { ModelWeights, StaticMatmul } from '../refs/index.ts';
import { densityOf, MATMUL_NAMES, type MatmulName, type WeightPruning } from './config.ts';

export interface BlockPruneResult {
  /** A pruned copy of the weights. */
  weights: Int32Array;
  /** Per block (row-major over the ⌈CO/b⌉ × ⌈CI/b⌉ grid): 1 = kept. */
  mask: Uint8Array;
  rows: number;
  cols: number;
  kept: number;
  total: number;
}

export function pruneWeightBlocks(w: Int32Array, co: number, ci: number, block: number, density: number): BlockPruneResult {
  if (w.length !== co * ci) throw new RangeError(`weight length ${w.length} ≠ ${co}×${ci}`);
  const rows = Math.ceil(co / block);
  const cols = Math.ceil(ci / block);
  const total = rows * cols;
  const l1 = new Float64Array(total);
  for (let o = 0; o < co; o++)
    for (let i = 0; i < ci; i++) l1[Math.floor(o / block) * cols + Math.floor(i / block)] += Math.abs(w[o * ci + i]);
  const kept = Math.max(1, Math.min(total, Math.ceil(density * total - 1e-9)));
  const order = Array.from({ length: total }, (_, b) => b).sort((a, b) => l1[b] - l1[a] || a - b);
  const mask = new Uint8Array(total);
  for (let r = 0; r < kept; r++) mask[order[r]] = 1;
  const out = w.slice();
  for (let o = 0; o < co; o++)
    for (let i = 0; i < ci; i++) if (!mask[Math.floor(o / block) * cols + Math.floor(i / block)]) out[o * ci + i] = 0;
  return { weights: out, mask, rows, cols, kept, total };
}

/**
 * One matmul pruned to a density; density 1 returns the same matmul object (bit-identical, shared kernels). The
 * bias stays as it is unless input means `mu` are given: then each output gains the rounded mean of its removed terms.
 */
function pruneMatmul(m: StaticMatmul, block: number, density: number, mu?: Float64Array): StaticMatmul {
  if (density >= 1) return m;
  const { co, ci } = m.weights;
  const r = pruneWeightBlocks(m.weights.w, co, ci, block, density);
  if (!mu) return { weights: new PackedWeights(r.weights, co, ci), bias: m.bias };
  const bias = Float64Array.from(m.bias);
  for (let o = 0; o < co; o++) {
    let removed = 0;
    for (let i = 0; i < ci; i++) removed += (m.weights.w[o * ci + i] - r.weights[o * ci + i]) * mu[i];
    bias[o] += Math.round(removed);
  }
  return { weights: new PackedWeights(r.weights, co, ci), bias };
}

/** Trace name of each prunable matmul's input (q, k and v share the attention LayerNorm output). */
const INPUT_TRACE: Record<MatmulName, (n: number) => string> = {
  q: (n) => `attn_${n}_gen_q_matmul_input`,
  k: (n) => `attn_${n}_gen_k_matmul_input`,
  v: (n) => `attn_${n}_gen_v_matmul_input`,
  o: (n) => `attn_${n}_gen_o_matmul_input`,
  fc1: (n) => `mlp_${n}_matmul1_input`,
  fc2: (n) => `mlp_${n}_matmul2_input`,
};

/** Per-channel means over tokens of every prunable matmul's input ([tokens][ci] traces), keyed `${name}${layer}`. */
export type InputMeans = Map<string, Float64Array>;

/** Input means of the unpruned model on calibration inputs (patch matrices), for bias correction. */
export function matmulInputMeans(w: ModelWeights, inputs: Int32Array[], run: (w: ModelWeights, x: Int32Array, trace: (name: string, data: Int32Array) => void) => void): InputMeans {
  const sums = new Map<string, { s: Float64Array; rows: number }>();
  const wanted = new Map<string, string>();
  for (const { layer, name, m } of prunableMatmuls(w)) {
    wanted.set(INPUT_TRACE[name](layer), `${name}${layer}`);
    sums.set(`${name}${layer}`, { s: new Float64Array(m.weights.ci), rows: 0 });
  }
  for (const x of inputs)
    run(w, x, (traceName, data) => {
      const key = wanted.get(traceName);
      if (!key) return;
      const acc = sums.get(key)!;
      const ci = acc.s.length;
      for (let k = 0; k < data.length; k++) acc.s[k % ci] += data[k];
      acc.rows += data.length / ci;
    });
  return new Map([...sums].map(([k, { s, rows }]) => [k, s.map((v) => v / rows)]));
}

/** The 3-bit matmuls of every layer, by name, in a fixed order (what weight-block pruning applies to). */
export function prunableMatmuls(w: ModelWeights): Array<{ layer: number; name: MatmulName; m: StaticMatmul }> {
  const out: ReturnType<typeof prunableMatmuls> = [];
  w.attention.forEach((a, layer) => (['q', 'k', 'v', 'o'] as const).forEach((name) => out.push({ layer, name, m: a[name] })));
  w.mlp.forEach((m, layer) => (['fc1', 'fc2'] as const).forEach((name) => out.push({ layer, name, m: m[name] })));
  return out;
}

/**
 * A copy of the model with its 3-bit matmuls block-pruned, each to its density under `p` (densityOf); patch
 * embedding, head, LayerNorm parameters and quantization tables are shared with `w`, unchanged, and so are the
 * biases unless `p.correctBias` (then `means` must be given).
 */
export function pruneModelWeights(w: ModelWeights, p: WeightPruning, means?: InputMeans): ModelWeights {
  if (p.correctBias && !means) throw new RangeError('bias correction needs the matmul input means');
  const one = (m: StaticMatmul, name: MatmulName, layer: number) =>
    pruneMatmul(m, p.block, densityOf(p, name, layer), p.correctBias ? means!.get(`${name}${layer}`) : undefined);
  return {
    ...w,
    attention: w.attention.map((a, n) => ({ ...a, q: one(a.q, 'q', n), k: one(a.k, 'k', n), v: one(a.v, 'v', n), o: one(a.o, 'o', n) })),
    mlp: w.mlp.map((m, n) => ({ ...m, fc1: one(m.fc1, 'fc1', n), fc2: one(m.fc2, 'fc2', n) })),
  };
}

/** Non-zero / total blocks over a model's 3-bit matmuls, per kind (what a setting really removed). */
export function blockCensus(w: ModelWeights, block: number): Record<MatmulName, { nonZero: number; total: number }> {
  const out = Object.fromEntries(MATMUL_NAMES.map((m) => [m, { nonZero: 0, total: 0 }])) as Record<MatmulName, { nonZero: number; total: number }>;
  for (const { name, m } of prunableMatmuls(w)) {
    const { co, ci, w: x } = m.weights;
    const cols = Math.ceil(ci / block);
    const nz = new Uint8Array(Math.ceil(co / block) * cols);
    for (let o = 0; o < co; o++) for (let i = 0; i < ci; i++) if (x[o * ci + i] !== 0) nz[Math.floor(o / block) * cols + Math.floor(i / block)] = 1;
    out[name].total += nz.length;
    out[name].nonZero += nz.reduce((s, v) => s + v, 0);
  }
  return out;
}

/**
 * What a MAC array with cop × cip weight tiles must still do for a [CO][CI] matrix when it skips all-zero tiles:
 * per output tile row r (cop channels), the non-zero tiles k_r; the array runs Σ_r max(1, k_r) iterations per token
 * pair (a row with no tile still writes its bias-only result) and stores Σ_r k_r tiles.
 */
export function tileOccupancy(w: Int32Array, co: number, ci: number, cop: number, cip: number): { iterations: number; storedTiles: number; denseTiles: number } {
  const { rows } = tileSparsityOf(w, co, ci, cop, cip);
  return {
    iterations: rows.reduce((a, r) => a + Math.max(1, r.length), 0),
    storedTiles: rows.reduce((a, r) => a + r.length, 0),
    denseTiles: (co / cop) * (ci / cip),
  };
}
