import type { RequantProcess } from '../types.ts';
import { type KindSpec, checkStages, checkTable, read, stallAll, write } from './common.ts';

/** Table requantizer (quant, or GELU / ReLU fused with it): one beat in, one beat out per iteration. */
export const requant: KindSpec<RequantProcess> = {
  ports: (p) => ({ inputs: [p.lanes], outputs: [p.lanes] }),
  timing: (p) => stallAll(p.beats, p.stages, [read(0, p.stages.read), write(0, p.stages.write)]),
  check(p) {
    const out: Array<[string, string]> = [];
    if (p.beats <= 0) out.push(['beats', `beats must be positive, got ${p.beats}`]);
    checkTable(out, 'tableEntries', { entries: p.tableEntries, bits: p.outBits });
    checkStages(out, 'stages', p.stages);
    return out;
  },
};
