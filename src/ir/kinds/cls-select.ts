import type { ClsSelectProcess } from '../types.ts';
import { type KindSpec, checkStages, pred, read, stallAll, write } from './common.ts';

/** select_cls: reads the whole image, forwards the first `channels` beats (the CLS token, lane 0). */
export const clsSelect: KindSpec<ClsSelectProcess> = {
  ports: (p) => ({ inputs: [p.lanes], outputs: [1] }),
  timing: (p) =>
    stallAll(p.beats, p.stages, [read(0, p.stages.read), write(0, p.stages.write, pred(1, p.beats, 0, p.channels))]),
  check(p) {
    const out: Array<[string, string]> = [];
    if (p.channels > p.beats) out.push(['channels', `channels ${p.channels} exceed beats per image ${p.beats}`]);
    checkStages(out, 'stages', p.stages);
    return out;
  },
};
