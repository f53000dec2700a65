import type { ResidualMergeProcess } from '../types.ts';
import { type KindSpec, checkStages, read, stallAll, write } from './common.ts';

/** stream_merge: reads the residual and the main-path beat in the same iteration, writes their sum. */
export const residualMerge: KindSpec<ResidualMergeProcess> = {
  ports: (p) => ({ inputs: [p.lanes, p.lanes], outputs: [p.lanes] }),
  timing: (p) => stallAll(p.beats, p.stages, [read(0, p.stages.read), read(1, p.stages.read), write(0, p.stages.write)]),
  check(p) {
    const out: Array<[string, string]> = [];
    if (p.inputs.length !== 2) out.push(['inputs', `a residual merge has 2 inputs, got ${p.inputs.length}`]);
    checkStages(out, 'stages', p.stages);
    return out;
  },
};
