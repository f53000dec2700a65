import type { ReshapeReorderProcess, ReshapeUnpackProcess } from '../types.ts';
import { type KindSpec, checkStages, divides, every, read, write } from './common.ts';

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
export const lcm = (a: number, b: number): number => (a / gcd(a, b)) * b;

/** Reshaper `unpack`: one element per iteration at II = 2, reading a tp-element beat on every tp-th iteration. */
export const reshapeUnpack: KindSpec<ReshapeUnpackProcess> = {
  ports: (p) => ({ inputs: [p.tp], outputs: [1] }),
  timing: (p) => ({ style: 'unpack-ii2', n: p.tokens * p.headDim }),
  check(p) {
    const out: Array<[string, string]> = [];
    if (p.tp !== 2) out.push(['tp', `the II = 2 unpack is modelled for 2 elements per beat only, got ${p.tp}`]);
    divides(out, 'tp', p.tokens, p.tp, 'tokens');
    return out;
  },
};

/** Reshaper `reorder` (FSM): per lcm(tip, top)-token group, READ every element, then WRITE top·cop-element tiles. */
export const reshapeReorder: KindSpec<ReshapeReorderProcess> = {
  ports: (p) => ({ inputs: [1], outputs: [p.top * p.cop] }),
  timing(p) {
    const group = lcm(p.tip, p.top);
    const n = group * p.headDim;
    return {
      style: 'fsm',
      repeat: p.tokens / group,
      readyState: true,
      body: [
        { kind: 'state' },
        { kind: 'loop', loop: { n, depth: p.readLoop.depth, accesses: [read(0, p.readLoop.read)] } },
        { kind: 'state' },
        { kind: 'state' },
        { kind: 'loop', loop: { n, depth: p.writeLoop.depth, accesses: [write(0, p.writeLoop.write, every(p.top * p.cop))] } },
      ],
    };
  },
  check(p) {
    const out: Array<[string, string]> = [];
    const group = lcm(p.tip, p.top);
    if (p.tokens % group !== 0) out.push(['top', `tokens = ${p.tokens} are not a multiple of lcm(tip ${p.tip}, top ${p.top}) = ${group}`]);
    divides(out, 'cop', p.headDim, p.cop, 'headDim');
    checkStages(out, 'readLoop', p.readLoop, true, false);
    checkStages(out, 'writeLoop', p.writeLoop, false, true);
    return out;
  },
};
