import type { LayerNormProcess } from '../types.ts';
import { type KindSpec, checkStages, divides, pred, programCycles, read, stallAll, write } from './common.ts';

/** Three-pass LayerNorm: per token pair, pass 0 reads CT beats, pass 1 computes, pass 2 writes CT beats. */
export const layerNorm: KindSpec<LayerNormProcess> = {
  ports: (p) => ({ inputs: [p.tp * p.cp], outputs: [p.tp * p.cp] }),
  timing(p) {
    const ct = p.channels / p.cp;
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
    divides(out, 'cp', p.channels, p.cp, 'channels');
    checkStages(out, 'stages', p.stages);
    return out;
  },
};
