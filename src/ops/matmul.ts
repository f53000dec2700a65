/**
 * Integer matmul y[t][co] = bias[co] + Σ_ci x[t][ci] · W[co][ci] (HG-PIPE `matmul.h`, SPEC §1.2), with W in the
 * refs' [CO][CI] layout. The hardware accumulates in the output type; since wrapping is modular, the result equals
 * the wrapped full-precision sum, so callers apply the typed assignment once to the result.
 *
 * Three implementations: `matmulReference` (obviously correct, defines the semantics); `matmulSimd` (WebAssembly
 * SIMD, simd-matmul.ts), the engine's kernel whenever operands fit 16 bits; and `matmulLanes`, the portable fallback,
 * which packs several output channels into the lanes of one float64 (SIMD within a register): with small integer
 * weights and activations each lane's partial sum stays below 2^(B−1), so Σ x·(w0 + w1·2^B + w2·2^2B) is exact in a
 * double and the lanes are recovered afterwards. Both fast kernels skip zero activations (most softmax and GELU
 * outputs are 0). `matmulPacked` picks the fastest exact one.
 */
import { SIMD_MAX_OPERAND, simdMatmul, simdRuntime, simdWeightLayout } from './simd-matmul.ts';


export function matmulReference(
  x: Int32Array,
  rows: number,
  ci: number,
  w: Int32Array,
  co: number,
  bias?: ArrayLike<number>,
): Int32Array {
  const y = new Int32Array(rows * co);
  for (let t = 0; t < rows; t++)
    for (let o = 0; o < co; o++) {
      let acc = bias ? bias[o] : 0;
      for (let i = 0; i < ci; i++) acc += x[t * ci + i] * w[o * ci + i];
      y[t * co + o] = acc;
    }
  return y;
}

/** Largest |v| in an integer array (extremes first: their rarely taken branches predict well). */
export function maxAbs(a: Int32Array): number {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v > hi) hi = v;
    if (v < lo) lo = v;
  }
  return Math.max(hi, -lo);
}

/** A weight matrix [CO][CI], with lazily built copies laid out for the fast kernels. */
export class PackedWeights {
  readonly co: number;
  readonly ci: number;
  readonly w: Int32Array;
  readonly wMaxAbs: number;
  /** Transient weights (the per-image K and V caches) are not kept resident in the SIMD kernel's memory. */
  readonly transient: boolean;
  private readonly byLanes = new Map<number, Float64Array>();
  private simd?: { layout: ReturnType<typeof simdWeightLayout>; at: number | undefined };

  /**
   * `maxAbsBound`: a known bound on |w| (e.g. the largest |entry| of the table that produced w), which spares a scan
   * of per-image weights; it must hold, since the kernels' exactness rests on it.
   */
  constructor(w: Int32Array, co: number, ci: number, opts: { transient?: boolean; maxAbsBound?: number } = {}) {
    if (w.length !== co * ci) throw new RangeError(`weight length ${w.length} ≠ ${co}×${ci}`);
    this.w = w;
    this.co = co;
    this.ci = ci;
    this.wMaxAbs = opts.maxAbsBound ?? maxAbs(w);
    this.transient = opts.transient ?? false;
  }

  /** The SIMD layout, placed once in the kernel's memory unless transient. */
  simdLayout(): { layout: ReturnType<typeof simdWeightLayout>; at: number | undefined } {
    if (!this.simd) {
      const layout = simdWeightLayout(this.w, this.co, this.ci);
      let at: number | undefined;
      if (!this.transient) {
        const rt = simdRuntime()!;
        at = rt.allocStatic(layout.data.byteLength);
        new Int16Array(rt.memory.buffer, at, layout.data.length).set(layout.data);
      }
      this.simd = { layout, at };
    }
    return this.simd;
  }

  /** Lanes per double and lane width for activations bounded by xMaxAbs (0 lanes = use the plain kernel). */
  layout(xMaxAbs: number): { lanes: number; laneBits: number } {
    const bound = this.ci * xMaxAbs * this.wMaxAbs; // |partial sum| ≤ bound in every lane
    let laneBits = 1;
    while (2 ** (laneBits - 1) <= bound) laneBits++;
    const lanes = Math.min(4, Math.floor(52 / laneBits));
    return { lanes, laneBits };
  }

  /** Packed [CI][G] with G = ceil(CO / lanes); lane l of group g holds output channel g·lanes + l. */
  packed(lanes: number, laneBits: number): Float64Array {
    const key = lanes * 64 + laneBits;
    let p = this.byLanes.get(key);
    if (!p) {
      const groups = Math.ceil(this.co / lanes);
      p = new Float64Array(this.ci * groups);
      for (let i = 0; i < this.ci; i++)
        for (let g = 0; g < groups; g++) {
          let v = 0;
          for (let l = lanes - 1; l >= 0; l--) {
            const o = g * lanes + l;
            v = v * 2 ** laneBits + (o < this.co ? this.w[o * this.ci + i] : 0);
          }
          p[i * groups + g] = v;
        }
      this.byLanes.set(key, p);
    }
    return p;
  }
}

/** y = x·Wᵀ + bias on the fastest kernel that is exact for these operands. */
export function matmulPacked(x: Int32Array, rows: number, weights: PackedWeights, bias?: ArrayLike<number>): Int32Array {
  const { ci, co } = weights;
  if (x.length !== rows * ci) throw new RangeError(`input length ${x.length} ≠ ${rows}×${ci}`);
  const rt = simdRuntime();
  if (rt && weights.wMaxAbs <= SIMD_MAX_OPERAND) {
    const { layout, at } = weights.simdLayout();
    const y = simdMatmul(rt, x, rows, ci, co, weights.wMaxAbs, layout, at, bias);
    if (y) return y;
  }
  return matmulLanes(x, rows, weights, bias);
}

/** y = x·Wᵀ + bias with the float64-lane kernel; exact for any integer inputs (falls back to 1 lane when wide). */
export function matmulLanes(x: Int32Array, rows: number, weights: PackedWeights, bias?: ArrayLike<number>): Int32Array {
  const xMax = maxAbs(x);
  const { ci, co } = weights;
  const { lanes, laneBits } = weights.layout(xMax);
  if (lanes < 2) return matmulReference(x, rows, ci, weights.w, co, bias);
  const groups = Math.ceil(co / lanes);
  const wp = weights.packed(lanes, laneBits);
  const acc = new Float64Array(groups);
  const y = new Int32Array(rows * co);
  const base = 2 ** laneBits;
  const half = base / 2;
  // Non-zero activations of the current row (value and weight-row offset), processed four at a time so that each
  // accumulator is loaded and stored once per four multiply-adds.
  const nzValue = new Float64Array(ci);
  const nzOffset = new Int32Array(ci);
  for (let t = 0; t < rows; t++) {
    acc.fill(0);
    const xRow = t * ci;
    let nz = 0;
    for (let i = 0; i < ci; i++) {
      const xv = x[xRow + i];
      if (xv !== 0) {
        nzValue[nz] = xv;
        nzOffset[nz++] = i * groups;
      }
    }
    let k = 0;
    for (; k + 4 <= nz; k += 4) {
      const x0 = nzValue[k], x1 = nzValue[k + 1], x2 = nzValue[k + 2], x3 = nzValue[k + 3];
      const o0 = nzOffset[k], o1 = nzOffset[k + 1], o2 = nzOffset[k + 2], o3 = nzOffset[k + 3];
      for (let g = 0; g < groups; g++) acc[g] += x0 * wp[o0 + g] + x1 * wp[o1 + g] + x2 * wp[o2 + g] + x3 * wp[o3 + g];
    }
    for (; k < nz; k++) {
      const xv = nzValue[k];
      const o = nzOffset[k];
      for (let g = 0; g < groups; g++) acc[g] += xv * wp[o + g];
    }
    const yRow = t * co;
    for (let g = 0; g < groups; g++) {
      let v = acc[g];
      for (let l = 0; l < lanes; l++) {
        // Recover the signed lane value: v = lane + base·rest with lane in [−half, half).
        let lane = v - Math.floor(v / base) * base;
        if (lane >= half) lane -= base;
        v = (v - lane) / base;
        const o = g * lanes + l;
        if (o < co) y[yRow + o] = lane + (bias ? bias[o] : 0);
      }
    }
  }
  return y;
}
