import type { WeightCacheProcess } from '../types.ts';
import { type KindSpec, checkStages, read, write } from './common.ts';
import { checkShape } from './mac.ts';

/** Dynamic-weight cache (FSM): S1; FILL all cot·cit tiles; S3; S4; REPLAY them tt times; ready when REPLAY is done. */
export const weightCache: KindSpec<WeightCacheProcess> = {
  ports: (p) => ({ inputs: [p.shape.cop * p.shape.cip], outputs: [p.shape.cop * p.shape.cip] }),
  timing(p) {
    const { tt, ci, co, cip, cop } = p.shape;
    const tiles = (ci / cip) * (co / cop);
    return {
      style: 'fsm',
      repeat: 1,
      readyState: false,
      body: [
        { kind: 'loop', loop: { n: tiles, depth: p.fill.depth, accesses: [read(0, p.fill.read)] } },
        { kind: 'state' },
        { kind: 'state' },
        { kind: 'loop', loop: { n: tt * tiles, depth: p.replay.depth, accesses: [write(0, p.replay.write)] } },
      ],
    };
  },
  check(p) {
    const out: Array<[string, string]> = [];
    checkShape(out, p.shape);
    checkStages(out, 'fill', p.fill, true, false);
    checkStages(out, 'replay', p.replay, false, true);
    return out;
  },
};
