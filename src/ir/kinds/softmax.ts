import type { SoftmaxProcess } from '../types.ts';
import { type KindSpec, checkStages, divides, pred, programCycles, read, stallAll, write } from './common.ts';

/** Three-pass softmax: per query pair, pass 0 reads the keys/cp scores (max), pass 1 exp-sums, pass 2 writes. */
export const softmax: KindSpec<SoftmaxProcess> = {
  ports: (p) => ({ inputs: [p.tp * p.cp], outputs: [p.tp * p.cp] }),
  timing(p) {
    const ct = p.keys / p.cp;
    return stallAll(p.tt * 3 * ct, p.stages, [
      read(0, p.stages.read, pred(1, 3 * ct, 0, ct)),
      write(0, p.stages.write, pred(1, 3 * ct, 2 * ct, 3 * ct)),
    ]);
  },
  cycles(p) {
    return programCycles(this.timing(p));
  },
  check(p) {
    const out: Array<[string, string]> = [];
    divides(out, 'cp', p.keys, p.cp, 'keys');
    checkStages(out, 'stages', p.stages);
    return out;
  },
};
