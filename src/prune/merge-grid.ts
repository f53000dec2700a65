/**
 * What `vitpipe merge-sweep` evaluates by default: the unmerged model, token-merging schedules (constant r and a
 * front-loaded one), and the token-pruning settings of the 1.5× search (README) for the comparison at equal
 * throughput.
 */
import { mergeTokensText, parseMergeTokens } from '../merge/config.ts';
import type { PruneSetting } from './config.ts';

/** A merging setting named after its `--merge-tokens` value. */
export function mergeSetting(text: string, depth: number, proportionalAttention = true): PruneSetting {
  const r = parseMergeTokens(text, depth);
  const name = `merge ${mergeTokensText(r)}${proportionalAttention ? '' : ' (no size bias)'}`;
  return { name, mergeTokens: r.every((x) => x === r[0]) ? r[0] : r, ...(proportionalAttention ? {} : { proportionalAttention }) };
}

export function mergeGrid(depth: number): PruneSetting[] {
  const front = (r0: number, k: number, r1: number) => Array.from({ length: depth }, (_, n) => (n < k ? r0 : r1)).join(',');
  return [
    { name: 'none' },
    ...['8', '12', '16', front(16, 4, 8)].map((t) => mergeSetting(t, depth)),
    { name: 'prune keep 0.8 @ 0, 2, drop', tokens: { stages: [{ block: 0, keep: 0.8 }, { block: 2, keep: 0.8 }], fuse: false } },
    { name: 'prune keep 0.7 @ 3, 6, 9', tokens: { stages: [3, 6, 9].map((block) => ({ block, keep: 0.7 })), fuse: true } },
  ];
}
