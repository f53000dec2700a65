import type { WeightCacheProcess } from '../types.ts';
import { type KindSpec, checkStages, read, write } from './common.ts';
import { checkShape } from './mac.ts';

/** Tiles of one group (head) and the words the cache stores (every group's tiles). */
export function weightCacheTiles(p: WeightCacheProcess): { tiles: number; words: number } {
  const { ci, co, cip, cop } = p.shape;
  const tiles = (ci / cip) * (co / cop);
  return { tiles, words: tiles * (p.groups ?? 1) };
}

/**
 * Dynamic-weight cache (FSM): S1; FILL all stored tiles; S3; S4; REPLAY one group's tiles for each of the tt rows;
 * ready when REPLAY is done.
 */
export const weightCache: KindSpec<WeightCacheProcess> = {
  ports: (p) => ({ inputs: [p.shape.cop * p.shape.cip], outputs: [p.shape.cop * p.shape.cip] }),
  timing(p) {
    const { tiles, words } = weightCacheTiles(p);
    return {
      style: 'fsm',
      repeat: 1,
      readyState: false,
      body: [
        { kind: 'loop', loop: { n: words, depth: p.fill.depth, accesses: [read(0, p.fill.read)] } },
        { kind: 'state' },
        { kind: 'state' },
        { kind: 'loop', loop: { n: p.shape.tt * tiles, depth: p.replay.depth, accesses: [write(0, p.replay.write)] } },
      ],
    };
  },
  check(p) {
    const out: Array<[string, string]> = [];
    checkShape(out, p.shape);
    checkStages(out, 'fill', p.fill, true, false);
    checkStages(out, 'replay', p.replay, false, true);
    const k = p.groups ?? 1;
    if (!Number.isInteger(k) || k < 1) out.push(['groups', `groups must be a positive integer, got ${k}`]);
    else if (p.shape.tt % k !== 0) out.push(['groups', `the tt = ${p.shape.tt} rows are (token pair, head) pairs: groups = ${k} must divide them`]);
    return out;
  },
};
