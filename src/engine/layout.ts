/** Tensor re-layouts between the merged [T][H·D] stream order and the per-head [H][T][D] order of the refs. */

export function splitHeads(x: Int32Array, T: number, H: number, D: number): Int32Array {
  const out = new Int32Array(T * H * D);
  for (let h = 0; h < H; h++)
    for (let t = 0; t < T; t++) out.set(x.subarray(t * H * D + h * D, t * H * D + (h + 1) * D), (h * T + t) * D);
  return out;
}

export function mergeHeads(x: Int32Array, T: number, H: number, D: number): Int32Array {
  const out = new Int32Array(T * H * D);
  for (let h = 0; h < H; h++)
    for (let t = 0; t < T; t++) out.set(x.subarray((h * T + t) * D, (h * T + t + 1) * D), t * H * D + h * D);
  return out;
}

/** [B][R][K] → [B][K][R]. */
export function transpose(x: Int32Array, B: number, R: number, K: number): Int32Array {
  const out = new Int32Array(B * R * K);
  for (let b = 0; b < B; b++)
    for (let r = 0; r < R; r++) for (let k = 0; k < K; k++) out[(b * K + k) * R + r] = x[(b * R + r) * K + k];
  return out;
}
