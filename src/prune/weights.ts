/**
 * Structured weight-block pruning: a [CO][CI] matrix is cut into square `block`×`block` blocks (edge blocks may be
 * partial); blocks are ranked by their L1 norm Σ|w|, largest first, ties to the lower block index (row-major over
 * the block grid); the first ceil(density × blocks) are kept and the rest are zeroed. Deterministic by construction.
 */
import { PackedWeights } from '../ops/index.ts';
import type { ModelWeights, StaticMatmul } from '../refs/index.ts';
import type { WeightPruning } from './config.ts';

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

function pruneMatmul(m: StaticMatmul, p: WeightPruning): StaticMatmul {
  const { co, ci } = m.weights;
  const r = pruneWeightBlocks(m.weights.w, co, ci, p.block, p.density);
  return { weights: new PackedWeights(r.weights, co, ci), bias: m.bias };
}

/** The 3-bit matmuls of every layer, by name, in a fixed order (what weight-block pruning applies to). */
export function prunableMatmuls(w: ModelWeights): Array<{ layer: number; name: 'q' | 'k' | 'v' | 'o' | 'fc1' | 'fc2'; m: StaticMatmul }> {
  const out: ReturnType<typeof prunableMatmuls> = [];
  w.attention.forEach((a, layer) => (['q', 'k', 'v', 'o'] as const).forEach((name) => out.push({ layer, name, m: a[name] })));
  w.mlp.forEach((m, layer) => (['fc1', 'fc2'] as const).forEach((name) => out.push({ layer, name, m: m[name] })));
  return out;
}

/** A copy of the model with every 3-bit matmul block-pruned (patch embedding and head stay dense). */
export function pruneModelWeights(w: ModelWeights, p: WeightPruning): ModelWeights {
  return {
    ...w,
    attention: w.attention.map((a) => ({ ...a, q: pruneMatmul(a.q, p), k: pruneMatmul(a.k, p), v: pruneMatmul(a.v, p), o: pruneMatmul(a.o, p) })),
    mlp: w.mlp.map((m) => ({ ...m, fc1: pruneMatmul(m.fc1, p), fc2: pruneMatmul(m.fc2, p) })),
  };
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
