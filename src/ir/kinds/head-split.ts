import type { HeadMergeProcess, HeadSplitProcess } from '../types.ts';
import { type KindSpec, checkStages, divides, pred, read, stallAll, write } from './common.ts';

/** Head split: per token pair, walks h = 0..H−1 over headDim/cp beats each and writes head h's stream. */
export const headSplit: KindSpec<HeadSplitProcess> = {
  ports: (p) => ({ inputs: [p.lanes], outputs: p.outputs.map(() => p.lanes) }),
  timing(p) {
    const per = p.headDim / p.cp;
    const heads = p.outputs.map((_, h) => write(h, p.stages.write, pred(per, p.heads, h, h + 1)));
    return stallAll((p.tt * p.heads * p.headDim) / p.cp, p.stages, [read(0, p.stages.read), ...heads]);
  },
  check(p) {
    const out: Array<[string, string]> = [];
    divides(out, 'cp', p.headDim, p.cp, 'headDim');
    if (p.outputs.length !== p.heads) out.push(['outputs', `expected ${p.heads} head outputs, got ${p.outputs.length}`]);
    checkStages(out, 'stages', p.stages);
    return out;
  },
};

/** Head merge: reads head h's stream while (i div headDim/cp) mod H = h, writes every iteration. */
export const headMerge: KindSpec<HeadMergeProcess> = {
  ports: (p) => ({ inputs: p.inputs.map(() => p.lanes), outputs: [p.lanes] }),
  timing(p) {
    const per = p.headDim / p.cp;
    const heads = p.inputs.map((_, h) => read(h, p.stages.read, pred(per, p.heads, h, h + 1)));
    return stallAll((p.tt * p.heads * p.headDim) / p.cp, p.stages, [...heads, write(0, p.stages.write)]);
  },
  check(p) {
    const out: Array<[string, string]> = [];
    divides(out, 'cp', p.headDim, p.cp, 'headDim');
    if (p.inputs.length !== p.heads) out.push(['inputs', `expected ${p.heads} head inputs, got ${p.inputs.length}`]);
    checkStages(out, 'stages', p.stages);
    return out;
  },
};
