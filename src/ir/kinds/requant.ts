import type { RequantProcess } from '../types.ts';
import { type KindSpec, checkStages, read, stallAll, write } from './common.ts';

/** Table requantizer (quant or GELU): one beat in, one beat out per iteration. */
export const requant: KindSpec<RequantProcess> = {
  ports: (p) => ({ inputs: [p.lanes], outputs: [p.lanes] }),
  timing: (p) => stallAll(p.beats, p.stages, [read(0, p.stages.read), write(0, p.stages.write)]),
  check(p) {
    const out: Array<[string, string]> = [];
    if (p.beats <= 0) out.push(['beats', `beats must be positive, got ${p.beats}`]);
    checkStages(out, 'stages', p.stages);
    return out;
  },
};
