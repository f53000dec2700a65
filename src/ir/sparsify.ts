import type { Block, MacProcess, MatmulShape, Stages, TileSparsity, WindowCacheProcess } from './types.ts';
import { processCycles } from './kinds/index.ts';
import { weightMemoryOf } from './kinds/sparse.ts';

/**
 * A block whose static matmul `prefix` (its `<prefix>.cache_window` and `<prefix>.mac`, as the builders name them)
 * is block-sparse with `sparsity`: both processes carry the pattern and the MAC's ROM holds only the stored tiles.
 */
export function withSparseMatmul(b: Block, prefix: string, sparsity: TileSparsity): Block {
  let found = 0;
  const processes = b.processes.map((p) => {
    if (p.kind === 'window-cache' && p.name === `${prefix}.cache_window`) {
      found++;
      return { ...p, sparsity };
    }
    if (p.kind === 'mac' && p.name === `${prefix}.mac` && p.weights === 'static') {
      found++;
      return { ...p, sparsity, weightMemory: weightMemoryOf(p.shape, p.weightBits, sparsity) };
    }
    return p;
  });
  if (found !== 2) throw new Error(`block ${b.name} has no static matmul '${prefix}' (window cache + MAC)`);
  return { ...b, processes };
}

/** The tile pattern of a [co][ci] weight matrix at cop × cip tiles: a tile is stored when any weight in it is non-zero. */
export function tileSparsityOf(w: ArrayLike<number>, co: number, ci: number, cop: number, cip: number): TileSparsity {
  const cot = co / cop;
  const cit = ci / cip;
  const nz = new Uint8Array(cot * cit);
  for (let o = 0; o < co; o++) {
    const base = Math.floor(o / cop) * cit;
    for (let i = 0; i < ci; i++) if (w[o * ci + i] !== 0) nz[base + Math.floor(i / cip)] = 1;
  }
  return { rows: Array.from({ length: cot }, (_, r) => Array.from({ length: cit }, (_, c) => c).filter((c) => nz[r * cit + c])) };
}

/**
 * Cycles per image of a static matmul's window cache and MAC (the slower of the two), dense or with `sparsity`:
 * what a planner compares when it decides whether the block-sparse form pays off.
 */
export function matmulCycles(shape: MatmulShape, stages: Stages, sparsity?: TileSparsity): number {
  const common = { name: '', origin: '', inputs: [], outputs: [], shape, stages, sparsity };
  const window: WindowCacheProcess = { ...common, kind: 'window-cache', bits: 1 };
  const mac: MacProcess = {
    ...common, kind: 'mac', weights: 'static', style: 'stall-all', frpBuffer: 0, inBits: 1, weightBits: 1, accBits: 1,
    weightMemory: weightMemoryOf(shape, 1, sparsity),
  };
  return Math.max(processCycles(window), processCycles(mac));
}
