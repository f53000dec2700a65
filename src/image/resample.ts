/**
 * Pillow's BICUBIC resize for 8-bit images, re-implemented to match `Image.resize(size, Image.BICUBIC)` (Pillow ≥ 7,
 * no reducing_gap) byte for byte: a separable cubic convolution (a = −0.5) whose support widens by the downscale
 * factor, double-precision weights normalised per output pixel and then rounded to fixed point with 22 fractional
 * bits, a horizontal pass then a vertical pass, each rounding and clipping to uint8.
 *
 * Every output pixel depends only on its own row/column of coefficients, so we compute just a crop window of the
 * resized image (the centre crop), which is exact and saves most of the work.
 */

/** 32 − 8 − 2: 8 bits of result, 2 bits of headroom for negative lobes and sums above 1. */
const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);
/** A Pillow resampling filter: its kernel and its support at scale 1. */
export interface ResampleFilter {
  support: number;
  kernel: (x: number) => number;
}

/** Pillow's BICUBIC: cubic convolution, a = −0.5, support 2. */
export const BICUBIC: ResampleFilter = {
  support: 2,
  kernel(x: number): number {
    const a = -0.5;
    if (x < 0) x = -x;
    if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
    if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
    return 0;
  },
};

/** Pillow's BILINEAR: the triangle filter, support 1. */
export const BILINEAR: ResampleFilter = {
  support: 1,
  kernel(x: number): number {
    if (x < 0) x = -x;
    return x < 1 ? 1 - x : 0;
  },
};

/** C's (int) cast of a double: truncation toward zero. */
const toInt = (v: number): number => Math.trunc(v);

/** Fixed-point filter taps of output positions `from .. from+count−1` along one axis of length inSize → outSize. */
export interface AxisCoeffs {
  /** First input index of each output position. */
  start: Int32Array;
  /** Number of taps of each output position. */
  taps: Int32Array;
  /** Taps, `ksize` slots per output position. */
  weights: Int32Array;
  ksize: number;
}

export function axisCoeffs(inSize: number, outSize: number, from: number, count: number, filter: ResampleFilter = BICUBIC): AxisCoeffs {
  const scale = inSize / outSize; // box is (0, inSize): in1 − in0 = inSize
  const filterScale = scale < 1 ? 1 : scale;
  const support = filter.support * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const invScale = 1 / filterScale;
  const start = new Int32Array(count);
  const taps = new Int32Array(count);
  const weights = new Int32Array(count * ksize);
  const w = new Float64Array(ksize);
  for (let i = 0; i < count; i++) {
    const xx = from + i;
    const center = (xx + 0.5) * scale;
    let xmin = toInt(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = toInt(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      // Same operation order as Pillow so the doubles round identically.
      const v = filter.kernel((x + xmin - center + 0.5) * invScale);
      w[x] = v;
      sum += v;
    }
    for (let x = 0; x < xmax; x++) {
      const k = sum !== 0 ? w[x] / sum : w[x];
      weights[i * ksize + x] = k < 0 ? toInt(-0.5 + k * ONE) : toInt(0.5 + k * ONE);
    }
    start[i] = xmin;
    taps[i] = xmax;
  }
  return { start, taps, weights, ksize };
}

/** Round a fixed-point accumulator (already holding the +½ bias) back to uint8, clipping like Pillow's clip8. */
function clip8(acc: number): number {
  const v = acc >> PRECISION_BITS; // |acc| < 2^31 by Pillow's choice of PRECISION_BITS
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** A packed 8-bit image, `channels` interleaved bytes per pixel, rows top to bottom. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** A window of the resized image: columns x0..x0+w−1, rows y0..y0+h−1. */
export interface Window {
  x0: number;
  y0: number;
  w: number;
  h: number;
}

/**
 * Pillow `resize((outW, outH), BICUBIC)` restricted to `win` (default: the whole output). Pillow skips a pass when
 * the size along that axis is unchanged; the cubic kernel is the identity at scale 1, so computing it anyway is exact.
 */
export function resizeBicubic(img: RawImage, outW: number, outH: number, win?: Window): RawImage {
  return resizePillow(img, outW, outH, BICUBIC, win);
}

/** Pillow `resize((outW, outH), filter)` restricted to `win`; at scale 1 both filters are the identity. */
export function resizePillow(img: RawImage, outW: number, outH: number, filter: ResampleFilter, win?: Window): RawImage {
  const { data, width, height, channels: ch } = img;
  const { x0, y0, w, h } = win ?? { x0: 0, y0: 0, w: outW, h: outH };
  if (x0 < 0 || y0 < 0 || x0 + w > outW || y0 + h > outH)
    throw new RangeError(`window ${w}×${h}+${x0}+${y0} outside ${outW}×${outH}`);
  const skipH = outW === width;
  const skipV = outH === height;

  const vert = axisCoeffs(height, outH, y0, h, filter);
  // Source rows the vertical pass reads; the horizontal pass only needs these.
  const rowFirst = skipV ? y0 : vert.start[0];
  const rowLast = skipV ? y0 + h : vert.start[h - 1] + vert.taps[h - 1];
  const rows = rowLast - rowFirst;

  // Horizontal pass: rows × w × ch.
  const tmp = new Uint8Array(rows * w * ch);
  if (skipH) {
    for (let r = 0; r < rows; r++) {
      const src = ((rowFirst + r) * width + x0) * ch;
      tmp.set(data.subarray(src, src + w * ch), r * w * ch);
    }
  } else {
    const hz = axisCoeffs(width, outW, x0, w, filter);
    if (ch === 3) horizontal3(data, width, rowFirst, rows, hz, w, tmp);
    else horizontalAny(data, width, ch, rowFirst, rows, hz, w, tmp);
  }
  if (skipV) return { data: tmp, width: w, height: h, channels: ch };

  // Vertical pass over the horizontally resampled rows.
  const out = new Uint8Array(w * h * ch);
  const line = w * ch;
  const acc = new Int32Array(line); // exact: |acc| < 2^31 by Pillow's choice of PRECISION_BITS (integer adds are faster)
  for (let yy = 0; yy < h; yy++) {
    const k0 = yy * vert.ksize;
    const n = vert.taps[yy];
    const first = vert.start[yy] - rowFirst;
    acc.fill(HALF);
    // Tap-major so each pass streams one contiguous source row.
    for (let t = 0; t < n; t++) {
      const k = vert.weights[k0 + t];
      const base = (first + t) * line;
      for (let i = 0; i < line; i++) acc[i] += tmp[base + i] * k;
    }
    const o = yy * line;
    for (let i = 0; i < line; i++) out[o + i] = clip8(acc[i]);
  }
  return { data: out, width: w, height: h, channels: ch };
}

/** Horizontal pass for RGB, with one accumulator per channel in locals (the hot loop). */
function horizontal3(
  data: Uint8Array,
  width: number,
  rowFirst: number,
  rows: number,
  hz: AxisCoeffs,
  w: number,
  tmp: Uint8Array,
): void {
  const { start, taps, weights, ksize } = hz;
  let o = 0;
  for (let r = 0; r < rows; r++) {
    const rowBase = (rowFirst + r) * width * 3;
    for (let xx = 0; xx < w; xx++) {
      const k0 = xx * ksize;
      const n = taps[xx];
      let a0 = HALF;
      let a1 = HALF;
      let a2 = HALF;
      let p = rowBase + start[xx] * 3;
      for (let t = 0; t < n; t++, p += 3) {
        const k = weights[k0 + t];
        a0 += data[p] * k;
        a1 += data[p + 1] * k;
        a2 += data[p + 2] * k;
      }
      tmp[o++] = clip8(a0);
      tmp[o++] = clip8(a1);
      tmp[o++] = clip8(a2);
    }
  }
}

function horizontalAny(
  data: Uint8Array,
  width: number,
  ch: number,
  rowFirst: number,
  rows: number,
  hz: AxisCoeffs,
  w: number,
  tmp: Uint8Array,
): void {
  const acc = new Float64Array(ch);
  for (let r = 0; r < rows; r++) {
    const rowBase = (rowFirst + r) * width * ch;
    for (let xx = 0; xx < w; xx++) {
      const k0 = xx * hz.ksize;
      const n = hz.taps[xx];
      acc.fill(HALF);
      let p = rowBase + hz.start[xx] * ch;
      for (let t = 0; t < n; t++, p += ch) {
        const k = hz.weights[k0 + t];
        for (let c = 0; c < ch; c++) acc[c] += data[p + c] * k;
      }
      const o = (r * w + xx) * ch;
      for (let c = 0; c < ch; c++) tmp[o + c] = clip8(acc[c]);
    }
  }
}
