/**
 * Structured weight-block pruning: a [CO][CI] matrix is cut into square `block`×`block` blocks (edge blocks may be
 * partial); blocks are ranked by their L1 norm Σ|w|, largest first, ties to the lower block index (row-major over
 * the block grid); the first ceil(density × blocks) are kept and the rest are zeroed. Deterministic by construction.
 */
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

/** One matmul pruned to a density; density 1 returns the same matmul object (bit-identical, shared kernels). */
function pruneMatmul(m: StaticMatmul, block: number, density: number): StaticMatmul {
  if (density >= 1) return m;
  const { co, ci } = m.weights;
  const r = pruneWeightBlocks(m.weights.w, co, ci, block, density);
  // the bias and the quantization tables stay as they are: pruning removes MAC terms only
  return { weights: new PackedWeights(r.weights, co, ci), bias: m.bias };
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
 * embedding, head, biases, LayerNorm parameters and quantization tables are shared with `w`, unchanged.
 */
export function pruneModelWeights(w: ModelWeights, p: WeightPruning): ModelWeights {
  const one = (m: StaticMatmul, name: MatmulName, layer: number) => pruneMatmul(m, p.block, densityOf(p, name, layer));
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
  const cot = co / cop;
  const cit = ci / cip;
  const nz = new Uint8Array(cot * cit);
  for (let o = 0; o < co; o++) {
    const rowBase = Math.floor(o / cop) * cit;
    for (let i = 0; i < ci; i++) if (w[o * ci + i] !== 0) nz[rowBase + Math.floor(i / cip)] = 1;
  }
  let iterations = 0;
  let stored = 0;
  for (let r = 0; r < cot; r++) {
    let k = 0;
    for (let c = 0; c < cit; c++) k += nz[r * cit + c];
    stored += k;
    iterations += Math.max(1, k);
  }
  return { iterations, storedTiles: stored, denseTiles: cot * cit };
}
