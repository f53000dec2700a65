/**
 * A design's static 3-bit matmuls made block-sparse after pruned weights: each ATTN/MLP block's q, k, v, o, fc1 and
 * fc2 (IR prefixes q, k, v, o, m1, m2) gets the tile pattern of its layer's weights at its own cop × cip tiling, where
 * the sparse window and MAC are faster than the dense ones (the rule the pruned planner uses).
 */
import { matmulCycles, tileSparsityOf, validateDesign, withSparseMatmul, type Block, type Design, type MacProcess } from '../ir/index.ts';
import type { ModelWeights, StaticMatmul } from '../refs/index.ts';

function matrixOf(b: Block, prefix: string, w: ModelWeights): StaticMatmul | undefined {
  const n = Number(/(\d+)$/.exec(b.name)?.[1]);
  if (!Number.isInteger(n)) return undefined;
  if (b.kind === 'attn') return ({ q: w.attention[n]?.q, k: w.attention[n]?.k, v: w.attention[n]?.v, o: w.attention[n]?.o } as Record<string, StaticMatmul | undefined>)[prefix];
  if (b.kind === 'mlp') return ({ m1: w.mlp[n]?.fc1, m2: w.mlp[n]?.fc2 } as Record<string, StaticMatmul | undefined>)[prefix];
  return undefined;
}

export interface SparsifiedDesign {
  design: Design;
  /** Matmuls made sparse, as `BLOCK.prefix`, with stored / dense tiles. */
  sparse: Array<{ matmul: string; storedTiles: number; denseTiles: number }>;
}

export function sparsifyDesign(d: Design, w: ModelWeights): SparsifiedDesign {
  const sparse: SparsifiedDesign['sparse'] = [];
  const blocks = d.blocks.map((b) => {
    let out = b;
    for (const p of b.processes) {
      if (p.kind !== 'mac' || p.weights !== 'static' || !p.name.endsWith('.mac')) continue;
      const prefix = p.name.slice(0, -'.mac'.length);
      const m = matrixOf(b, prefix, w);
      if (!m) continue;
      const { ci, co, cip, cop } = (p as MacProcess).shape;
      const pattern = tileSparsityOf(m.weights.w, co, ci, cop, cip);
      if (matmulCycles(p.shape, p.stages, pattern) >= matmulCycles(p.shape, p.stages)) continue;
      out = withSparseMatmul(out, prefix, pattern);
      sparse.push({ matmul: `${b.name}.${prefix}`, storedTiles: pattern.rows.reduce((s, r) => s + r.length, 0), denseTiles: (ci / cip) * (co / cop) });
    }
    return out;
  });
  const wasSparse = d.blocks.some((b) => b.processes.some((p) => (p.kind === 'mac' || p.kind === 'window-cache') && p.sparsity));
  return { design: validateDesign({ ...d, name: sparse.length && !wasSparse ? `${d.name}-sparse` : d.name, blocks }), sparse };
}
