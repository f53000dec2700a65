import type { MacProcess, MatmulShape } from '../types.ts';
import { type KindSpec, checkStages, divides, every, programCycles, read, write } from './common.ts';

export function checkShape(out: Array<[string, string]>, s: MatmulShape): void {
  divides(out, 'shape.cip', s.ci, s.cip, 'shape.ci');
  divides(out, 'shape.cop', s.co, s.cop, 'shape.co');
  if (!Number.isInteger(s.tt) || s.tt <= 0) out.push(['shape.tt', `shape.tt must be a positive integer, got ${s.tt}`]);
}

/**
 * MAC array: loop tt × cot × cit reading one input beat (and one weight beat when dynamic) per iteration and
 * writing one tp·cop accumulator beat at cit = CIT − 1. Free-running (frp) MACs issue only with an input
 * reservation and output-buffer room (DATAFLOW §0.4).
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
    const accesses = [read(0, s.read), write(0, s.write, every(cit))];
    if (p.weights === 'dynamic') accesses.splice(1, 0, read(1, s.read));
    const loop = { n: tt * (co / cop) * cit, depth: s.depth, accesses };
    return { style: 'loop', stall: p.style === 'free-running' ? 'free' : 'all', frpBuffer: p.frpBuffer, loop };
  },
  cycles(p) {
    return programCycles(this.timing(p));
  },
  check(p) {
    const out: Array<[string, string]> = [];
    checkShape(out, p.shape);
    checkStages(out, 'stages', p.stages);
    if (p.style === 'free-running' && p.frpBuffer < 2) out.push(['frpBuffer', `a free-running MAC needs an output buffer of ≥ 2 entries, got ${p.frpBuffer}`]);
    return out;
  },
};
