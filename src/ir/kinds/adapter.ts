import type { AdapterProcess } from '../types.ts';
import { type KindSpec, checkStages, divides, every, read, stallAll, write } from './common.ts';

/** Adapter: `pack` (cip < cop) reads every iteration and writes every R-th; `unpack` reads every R-th, writes every one. */
export const adapter: KindSpec<AdapterProcess> = {
  ports: (p) => ({ inputs: [p.tp * p.cip], outputs: [p.tp * p.cop] }),
  timing(p) {
    const s = p.stages;
    if (p.cip <= p.cop) {
      const r = p.cop / p.cip;
      return stallAll((p.tt * p.channels) / p.cip, s, [read(0, s.read), write(0, s.write, every(r))]);
    }
    const r = p.cip / p.cop;
    return stallAll((p.tt * p.channels) / p.cop, s, [read(0, s.read, every(r, 0)), write(0, s.write)]);
  },
  check(p) {
    const out: Array<[string, string]> = [];
    divides(out, 'cip', p.channels, p.cip, 'channels');
    divides(out, 'cop', p.channels, p.cop, 'channels');
    const [lo, hi] = p.cip <= p.cop ? [p.cip, p.cop] : [p.cop, p.cip];
    if (out.length === 0 && hi % lo !== 0)
      out.push([p.cip <= p.cop ? 'cop' : 'cip', `adapter ratio ${p.cip}→${p.cop} is not an integer (pack/unpack via the LCM is not modelled)`]);
    checkStages(out, 'stages', p.stages);
    return out;
  },
};
