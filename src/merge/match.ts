/**
 * Token merging in integer arithmetic (ToMe's bipartite soft matching, Bolya et al. 2023), defined exactly so that
 * every machine — the engine, the simulator's merge unit and the generated C++ — gives the same rows
 * (docs/TOKEN-MERGING.md):
 * - metric: k̄[t][d] = Σ_h K[t][h·D + d], the block's quantized keys summed over heads (∝ ToMe's mean over heads);
 * - similarity: cosine cos(a, b) = ⟨k̄a, k̄b⟩ / √(|k̄a|²·|k̄b|²), 0 when a norm is 0; compared exactly by signs and
 *   cross-multiplied squares, never rounded;
 * - sets: A = rows 0, 2, 4, … (row 0 is CLS, never merged), B = rows 1, 3, 5, …;
 * - each A token's best B partner: highest cosine, ties to the lower row; the r A tokens (not CLS) whose best cosine
 *   is highest merge into their partners (ties to the lower row);
 * - merged row b = floor((2·num + den) / (2·den)) with num = Σ size·x, den = Σ size over b and the A rows merged
 *   into it (size-weighted mean, half up); sizes add;
 * - output order: the unmerged A rows in row order (CLS first), then every B row in row order.
 */
import { mergedAway } from './config.ts';

/** Keys summed over heads: [tokens][headDim]. */
export function keyMetric(keys: Int32Array, tokens: number, heads: number, headDim: number): Int32Array {
  const m = new Int32Array(tokens * headDim);
  const width = heads * headDim;
  for (let t = 0; t < tokens; t++)
    for (let h = 0; h < heads; h++) for (let d = 0; d < headDim; d++) m[t * headDim + d] += keys[t * width + h * headDim + d];
  return m;
}

/** A cosine as an exact pair: dot / √norms (norms = |a|²·|b|²; a zero norm makes the cosine 0). */
export interface Cosine {
  dot: number;
  norms: number;
}

/**
 * Sign of cos1 − cos2, exact. Squares are compared as BigInt when a product could pass 2^53 (never for 3-bit keys:
 * |dot| ≤ 64·12² here, so dot²·norms < 2^53).
 */
export function compareCosine(c1: Cosine, c2: Cosine): number {
  const d1 = c1.norms === 0 ? 0 : c1.dot;
  const d2 = c2.norms === 0 ? 0 : c2.dot;
  const s1 = Math.sign(d1);
  const s2 = Math.sign(d2);
  if (s1 !== s2) return s1 - s2;
  if (s1 === 0) return 0;
  // both the same sign: compare d1²·n2 with d2²·n1 (for negative cosines the larger square is the smaller cosine)
  const l = d1 * d1 * c2.norms;
  const r = d2 * d2 * c1.norms;
  let cmp: number;
  if (l <= Number.MAX_SAFE_INTEGER && r <= Number.MAX_SAFE_INTEGER) cmp = Math.sign(l - r);
  else {
    const bl = BigInt(d1) * BigInt(d1) * BigInt(c2.norms);
    const br = BigInt(d2) * BigInt(d2) * BigInt(c1.norms);
    cmp = bl > br ? 1 : bl < br ? -1 : 0;
  }
  return s1 > 0 ? cmp : -cmp;
}

export interface Matching {
  /** A rows merged away (r of them), in row order. */
  sources: number[];
  /** For every row: the B row it merges into (itself for B rows), or −1 for an unmerged A row. */
  partner: Int32Array;
}

/** Bipartite soft matching on the metric [tokens][dim]: which A rows merge into which B rows. */
export function matchTokens(metric: Int32Array, tokens: number, dim: number, r: number): Matching {
  const norm = new Float64Array(tokens);
  for (let t = 0; t < tokens; t++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += metric[t * dim + d] * metric[t * dim + d];
    norm[t] = s;
  }
  const partner = new Int32Array(tokens).fill(-1);
  for (let b = 1; b < tokens; b += 2) partner[b] = b;
  const best: Array<{ a: number; b: number; cos: Cosine }> = [];
  for (let a = 2; a < tokens; a += 2) {
    let top: { b: number; cos: Cosine } | undefined;
    for (let b = 1; b < tokens; b += 2) {
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += metric[a * dim + d] * metric[b * dim + d];
      const cos = { dot, norms: norm[a] * norm[b] };
      if (!top || compareCosine(cos, top.cos) > 0) top = { b, cos };
    }
    if (top) best.push({ a, b: top.b, cos: top.cos });
  }
  best.sort((x, y) => compareCosine(y.cos, x.cos) || x.a - y.a);
  const chosen = best.slice(0, mergedAway(tokens, r));
  for (const c of chosen) partner[c.a] = c.b;
  return { sources: chosen.map((c) => c.a).sort((x, y) => x - y), partner };
}

export interface Merged {
  x: Int32Array;
  sizes: Int32Array;
  tokens: number;
}

/** Apply a matching to rows x [tokens][width] with token sizes: size-weighted integer means, output order as above. */
export function mergeRows(x: Int32Array, sizes: Int32Array, tokens: number, width: number, m: Matching): Merged {
  const order: number[] = [];
  for (let a = 0; a < tokens; a += 2) if (m.partner[a] < 0) order.push(a);
  for (let b = 1; b < tokens; b += 2) order.push(b);
  const into = new Map<number, number[]>();
  for (const a of m.sources) into.set(m.partner[a], [...(into.get(m.partner[a]) ?? []), a]);
  const out = new Int32Array(order.length * width);
  const outSizes = new Int32Array(order.length);
  order.forEach((t, i) => {
    const group = [t, ...(into.get(t) ?? [])];
    let den = 0;
    for (const g of group) den += sizes[g];
    outSizes[i] = den;
    if (group.length === 1) {
      out.set(x.subarray(t * width, (t + 1) * width), i * width);
      return;
    }
    for (let c = 0; c < width; c++) {
      let num = 0; // |num| < 2^31 · tokens: exact in a double
      for (const g of group) num += sizes[g] * x[g * width + c];
      out[i * width + c] = Math.floor((2 * num + den) / (2 * den));
    }
  });
  return { x: out, sizes: outSizes, tokens: order.length };
}
