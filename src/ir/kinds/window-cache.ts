import type { WindowCacheProcess } from '../types.ts';
import { type KindSpec, checkStages, pred, read, stallAll, write } from './common.ts';
import { checkShape } from './mac.ts';
import { checkSparsity, sparseIterations } from './sparse.ts';

/**
 * Matmul cache_window: loop tt × cot × cit; reads a new input beat only while cot = 0, writes every iteration.
 *
 * Block-sparse (`sparsity`, the MAC's pattern): the MAC needs I = Σ_r max(1, k_r) beats per token pair in its ROM's
 * order, which is not the input order, so the window is double-buffered: a loop of tt + 1 periods of
 * P = max(cit, I) iterations; in period t it reads token pair t (iterations 0..cit−1, t < tt) into one buffer and
 * replays the kept tiles of pair t − 1 (iterations 0..I−1, t ≥ 1) from the other, by a column-index ROM. It still
 * consumes every input beat; the extra period per image is the price of the reordering.
 */
export const windowCache: KindSpec<WindowCacheProcess> = {
  ports: (p) => ({ inputs: [p.shape.tp * p.shape.cip], outputs: [p.shape.tp * p.shape.cip] }),
  timing(p) {
    const { tt, ci, co, cip, cop } = p.shape;
    const cit = ci / cip;
    const cot = co / cop;
    if (p.sparsity) {
      const I = sparseIterations(p.sparsity);
      const P = Math.max(cit, I);
      return stallAll((tt + 1) * P, p.stages, [
        read(0, p.stages.read, { ...pred(1, P, 0, cit), and: pred(P, tt + 1, 0, tt) }),
        write(0, p.stages.write, { ...pred(1, P, 0, I), and: pred(P, tt + 1, 1, tt + 1) }),
      ]);
    }
    return stallAll(tt * cot * cit, p.stages, [read(0, p.stages.read, pred(cit, cot, 0, 1)), write(0, p.stages.write)]);
  },
  check(p) {
    const out: Array<[string, string]> = [];
    checkShape(out, p.shape);
    checkStages(out, 'stages', p.stages);
    if (p.sparsity && out.length === 0) checkSparsity(out, p.shape, p.sparsity);
    return out;
  },
};
