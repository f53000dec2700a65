import { prng } from '../num/index.ts';

/**
 * Calibration statistics: for every traced float tensor, its exact minimum and maximum and a sample of its values (an
 * equal, evenly spread share from every image, with seeded random offsets, so quantization is deterministic), from
 * which clipping ranges are searched.
 */

const SAMPLE = 65_536;

export class TensorStats {
  min = Infinity;
  max = -Infinity;
  count = 0;
  private filled = 0;
  readonly sample = new Float32Array(SAMPLE);
  private readonly rand: () => number;
  /** `quota`: values kept per `add` (one image), spread evenly with a random start, until the sample is full. */
  constructor(seed: number, private readonly quota: number) {
    this.rand = prng(seed);
  }

  add(values: ArrayLike<number>): void {
    let lo = this.min;
    let hi = this.max;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    this.min = lo;
    this.max = hi;
    this.count += values.length;
    const take = Math.min(this.quota, values.length, SAMPLE - this.filled);
    if (take <= 0) return;
    const stride = values.length / take;
    const start = this.rand() * stride;
    for (let k = 0; k < take; k++) this.sample[this.filled++] = values[Math.floor(start + k * stride)];
  }

  values(): Float32Array {
    return this.sample.subarray(0, this.filled);
  }

  maxAbs(): number {
    return Math.max(Math.abs(this.min), Math.abs(this.max));
  }

  /** The q-quantile of the sample (0 ≤ q ≤ 1). */
  quantile(q: number): number {
    const v = Float32Array.from(this.values()).sort();
    if (v.length === 0) return 0;
    return v[Math.min(v.length - 1, Math.max(0, Math.round(q * (v.length - 1))))];
  }
}

/**
 * Named statistics, created on first use with a seed derived from the name (order-independent determinism); each
 * keeps an equal share of its sample from each of `images` calibration images.
 */
export class StatsBook {
  private readonly book = new Map<string, TensorStats>();
  constructor(private readonly images: number) {}
  add(name: string, values: ArrayLike<number>): void {
    let s = this.book.get(name);
    if (!s) {
      let seed = 17;
      for (let i = 0; i < name.length; i++) seed = (Math.imul(seed, 31) + name.charCodeAt(i)) >>> 0;
      this.book.set(name, (s = new TensorStats(seed, Math.ceil(SAMPLE / Math.max(1, this.images)))));
    }
    s.add(values);
  }
  get(name: string): TensorStats {
    const s = this.book.get(name);
    if (!s) throw new Error(`no calibration statistics for ${name}`);
    return s;
  }
}

/**
 * The clipping range of a uniform quantizer with `levels` steps over [lo, hi] that minimises the mean squared error
 * on `values`: candidates shrink the observed range in 1 % steps down to 30 %, keeping its asymmetry. Returns
 * [lo, hi] of the chosen range.
 */
export function searchClip(values: ArrayLike<number>, observedLo: number, observedHi: number, levels: number, symmetric: boolean): [number, number] {
  let best: [number, number] = [observedLo, observedHi];
  let bestErr = Infinity;
  const n = values.length;
  if (n === 0 || observedHi <= observedLo) return best;
  for (let k = 100; k >= 30; k--) {
    const f = k / 100;
    const lo = symmetric ? -Math.max(-observedLo, observedHi) * f : observedLo * f;
    const hi = symmetric ? Math.max(-observedLo, observedHi) * f : observedHi * f;
    const step = (hi - lo) / levels;
    if (step <= 0) continue;
    let err = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      const c = v < lo ? lo : v > hi ? hi : v;
      const q = lo + Math.round((c - lo) / step) * step;
      err += (v - q) * (v - q);
    }
    if (err < bestErr) {
      bestErr = err;
      best = [lo, hi];
    }
  }
  return best;
}

/** Symmetric signed scale for `bits`-bit codes −2^(b−1) … 2^(b−1)−1 minimising the MSE on `values`. */
export function symmetricScale(values: ArrayLike<number>, maxAbs: number, bits: number): number {
  const qmax = 2 ** (bits - 1) - 1;
  if (maxAbs === 0) return 1;
  const [, hi] = searchClip(values, -maxAbs, maxAbs, 2 * qmax, true);
  return hi / qmax;
}
