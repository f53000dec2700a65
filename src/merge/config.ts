/**
 * Token-merging schedules (ToMe, docs/TOKEN-MERGING.md): r[n] tokens merged away in transformer layer n, after its
 * attention sub-layer and before its MLP. Plain data, as pruning settings are.
 */
import { fail } from '../diag/index.ts';

/** `--merge-tokens 8` (r = 8 in every layer) or `8,8,…,0` (r per layer, exactly `depth` values). */
export type MergeTokens = number | number[];

const MAX_R = 4096;

/** r per layer, validated (non-negative integers; a list has one value per layer). */
export function mergeRates(m: MergeTokens, depth: number, where = 'mergeTokens'): number[] {
  const list = typeof m === 'number' ? Array.from({ length: depth }, () => m) : m;
  if (list.length !== depth) fail('BAD_ARGUMENT', `${list.length} merge counts; expected one per layer (${depth}) or a single number`, where);
  for (const r of list)
    if (!Number.isInteger(r) || r < 0 || r > MAX_R) fail('BAD_ARGUMENT', `merge count ${r} must be an integer in 0..${MAX_R}`, where);
  return list;
}

/** `--merge-tokens` text → the schedule (one number or a comma list). */
export function parseMergeTokens(text: string, depth: number): number[] {
  const t = text.trim();
  if (!/^\d+(\s*,\s*\d+)*$/.test(t)) fail('BAD_ARGUMENT', `expected r or r0,r1,…,r${depth - 1} (non-negative integers), got '${text}'`, '--merge-tokens');
  const parts = t.split(',').map((x) => Number(x.trim()));
  return mergeRates(parts.length === 1 ? parts[0] : parts, depth, '--merge-tokens');
}

/** The schedule's canonical text: `8` when every layer merges the same r, else the comma list. */
export function mergeTokensText(r: number[]): string {
  return r.every((x) => x === r[0]) ? String(r[0]) : r.join(',');
}

/**
 * Tokens merged away at a layer running `tokens` tokens: r, capped by the mergeable tokens of set A (the even rows
 * other than CLS: ceil(tokens/2) − 1 = floor((tokens − 1)/2)).
 */
export function mergedAway(tokens: number, r: number): number {
  return Math.min(r, Math.floor((tokens - 1) / 2));
}

/** Tokens each attention block and each MLP block runs under a merge schedule. */
export function mergeSchedule(tokens: number, rates: number[]): { attn: number[]; mlp: number[] } {
  const attn: number[] = [];
  const mlp: number[] = [];
  let cur = tokens;
  for (const r of rates) {
    attn.push(cur);
    cur -= mergedAway(cur, r);
    mlp.push(cur);
  }
  return { attn, mlp };
}
