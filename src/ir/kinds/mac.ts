import type { MacProcess, MatmulShape } from '../types.ts';
import { type KindSpec, checkStages, divides, every, read, write } from './common.ts';
import { checkSparsity, rowEndPredicate, sparseIterations, weightMemoryOf } from './sparse.ts';

export function checkShape(out: Array<[string, string]>, s: MatmulShape): void {
  divides(out, 'shape.cip', s.ci, s.cip, 'shape.ci');
  divides(out, 'shape.cop', s.co, s.cop, 'shape.co');
  if (!Number.isInteger(s.tt) || s.tt <= 0) out.push(['shape.tt', `shape.tt must be a positive integer, got ${s.tt}`]);
}

/**
 * MAC array: loop tt × cot × cit reading one input beat (and one weight beat when dynamic) per iteration and
 * writing one tp·cop accumulator beat at cit = CIT − 1. Free-running (frp) MACs issue only with an input
 * reservation and output-buffer room (DATAFLOW §0.4). Block-sparse (`sparsity`): loop tt × Σ_r max(1, k_r) over the
 * stored tiles only, writing at each row's last tile (the ROM word's row-end flag).
 */
export const mac: KindSpec<MacProcess> = {
  ports: (p) => ({
    inputs: p.weights === 'dynamic' ? [p.shape.tp * p.shape.cip, p.shape.cop * p.shape.cip] : [p.shape.tp * p.shape.cip],
    outputs: [p.shape.tp * p.shape.cop],
  }),
  timing(p) {
    const { tt, ci, co, cip, cop } = p.shape;
    const cit = ci / cip;
    const s = p.stages;
    const stall = p.style === 'free-running' ? 'free' : 'all';
    if (p.sparsity) {
      const loop = { n: tt * sparseIterations(p.sparsity), depth: s.depth, accesses: [read(0, s.read), write(0, s.write, rowEndPredicate(p.sparsity))] };
      return { style: 'loop', stall, frpBuffer: p.frpBuffer, loop };
    }
    const accesses = [read(0, s.read), write(0, s.write, every(cit))];
    if (p.weights === 'dynamic') accesses.splice(1, 0, read(1, s.read));
    const loop = { n: tt * (co / cop) * cit, depth: s.depth, accesses };
    return { style: 'loop', stall, frpBuffer: p.frpBuffer, loop };
  },
  check(p) {
    const out: Array<[string, string]> = [];
    checkShape(out, p.shape);
    checkStages(out, 'stages', p.stages);
    if (p.style === 'free-running' && p.frpBuffer < 2) out.push(['frpBuffer', `a free-running MAC needs an output buffer of ≥ 2 entries, got ${p.frpBuffer}`]);
    if (p.sparsity && out.length === 0) {
      if (p.weights !== 'static') out.push(['sparsity', 'only static weights can be block-sparse (dynamic weights arrive as a stream)']);
      checkSparsity(out, p.shape, p.sparsity);
      const want = weightMemoryOf(p.shape, p.weightBits, p.sparsity);
      if (out.length === 0 && p.weightMemory.words !== want.words)
        out.push(['weightMemory.words', `a block-sparse ROM holds one word per stored tile (Σ max(1, tiles per row) = ${want.words}), got ${p.weightMemory.words}`]);
    }
    return out;
  },
};
