import type { WindowCacheProcess } from '../types.ts';
import { type KindSpec, checkStages, pred, programCycles, read, stallAll, write } from './common.ts';
import { checkShape } from './mac.ts';

/** Matmul cache_window: loop tt × cot × cit; reads a new input beat only while cot = 0, writes every iteration. */
export const windowCache: KindSpec<WindowCacheProcess> = {
  ports: (p) => ({ inputs: [p.shape.tp * p.shape.cip], outputs: [p.shape.tp * p.shape.cip] }),
  timing(p) {
    const { tt, ci, co, cip, cop } = p.shape;
    const cit = ci / cip;
    const cot = co / cop;
    return stallAll(tt * cot * cit, p.stages, [read(0, p.stages.read, pred(cit, cot, 0, 1)), write(0, p.stages.write)]);
  },
  cycles(p) {
    return programCycles(this.timing(p));
  },
  check(p) {
    const out: Array<[string, string]> = [];
    checkShape(out, p.shape);
    checkStages(out, 'stages', p.stages);
    return out;
  },
};
