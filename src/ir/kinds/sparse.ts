import type { MatmulShape, Predicate, TileSparsity } from '../types.ts';
import { pred } from './common.ts';

/**
 * Block-sparse static matmuls (weight-block pruning). Per token pair the MAC runs one iteration per stored tile, row
 * after row (a row without tiles runs one zero tile, so that it still writes its bias-only result); the window
 * cache replays, per iteration, the input beat of that tile's column.
 */

/** Iterations per token pair: Σ_r max(1, k_r). */
export function sparseIterations(s: TileSparsity): number {
  return s.rows.reduce((n, r) => n + Math.max(1, r.length), 0);
}

/** Per iteration of one token pair: the input tile column replayed and whether the iteration ends its row. */
export function tileSequence(s: TileSparsity): { cols: number[]; rowEnd: boolean[] } {
  const cols: number[] = [];
  const rowEnd: boolean[] = [];
  for (const r of s.rows) {
    const seq = r.length ? r : [0];
    seq.forEach((c, k) => {
      cols.push(c);
      rowEnd.push(k === seq.length - 1);
    });
  }
  return { cols, rowEnd };
}

/** The MAC's write predicate: the last iteration of every row, per token pair of `iters` iterations. */
export function rowEndPredicate(s: TileSparsity): Predicate {
  const ends: number[] = [];
  let i = 0;
  for (const r of s.rows) ends.push((i += Math.max(1, r.length)) - 1);
  return { ...pred(1, i, 0, i), values: ends };
}

/** Bits of a tile column index (the window cache's replay-order ROM). */
export const columnBits = (shape: MatmulShape): number => Math.max(1, Math.ceil(Math.log2(shape.ci / shape.cip)));

/** Weight ROM of a static MAC: one word per (stored) tile of cop·cip weights; sparse words carry a row-end flag. */
export function weightMemoryOf(shape: MatmulShape, weightBits: number, s?: TileSparsity): { words: number; wordBits: number } {
  const wordBits = shape.cip * shape.cop * weightBits;
  if (!s) return { words: (shape.ci / shape.cip) * (shape.co / shape.cop), wordBits };
  return { words: sparseIterations(s), wordBits: wordBits + 1 };
}

/** Problems of a sparsity pattern against the matmul's tiling, as [field, message]. */
export function checkSparsity(out: Array<[string, string]>, shape: MatmulShape, s: TileSparsity): void {
  const cot = shape.co / shape.cop;
  const cit = shape.ci / shape.cip;
  if (s.rows.length !== cot) {
    out.push(['sparsity.rows', `sparsity has ${s.rows.length} rows but the matmul has co/cop = ${cot} output tile rows`]);
    return;
  }
  s.rows.forEach((r, k) => {
    r.forEach((c, j) => {
      if (!Number.isInteger(c) || c < 0 || c >= cit)
        out.push([`sparsity.rows[${k}][${j}]`, `tile column ${c} outside 0..${cit - 1} (ci/cip = ${cit})`]);
      else if (j > 0 && c <= r[j - 1])
        out.push([`sparsity.rows[${k}][${j}]`, `tile columns must be strictly ascending, got ${r[j - 1]} then ${c}`]);
    });
  });
}

/** Same pattern (the window cache and the MAC of one matmul must agree). */
export function sameSparsity(a?: TileSparsity, b?: TileSparsity): boolean {
  if (!a || !b) return a === b;
  return a.rows.length === b.rows.length && a.rows.every((r, k) => r.length === b.rows[k].length && r.every((c, j) => c === b.rows[k][j]));
}
