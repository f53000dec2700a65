import type { StreamCopyProcess } from '../types.ts';
import { type KindSpec, checkStages, read, stallAll, write } from './common.ts';

/** stream_copy: every beat read once and written to every output in the same iteration. */
export const streamCopy: KindSpec<StreamCopyProcess> = {
  ports: (p) => ({ inputs: [p.lanes], outputs: p.outputs.map(() => p.lanes) }),
  timing: (p) => stallAll(p.beats, p.stages, [read(0, p.stages.read), ...p.outputs.map((_, k) => write(k, p.stages.write))]),
  check(p) {
    const out: Array<[string, string]> = [];
    if (p.beats <= 0) out.push(['beats', `beats must be positive, got ${p.beats}`]);
    checkStages(out, 'stages', p.stages);
    return out;
  },
};
