/**
 * Float64 linear layer Y = X·Wᵀ + b on WebAssembly SIMD, bit-identical to the scalar JavaScript
 *   acc = 0; for i in 0..n−1: acc += W[o][i]·X[r][i];  Y[r][o] = acc + b[o]
 * Each f64x2 lane holds one OUTPUT channel and performs exactly that sequence: a rounded f64 multiply, then a rounded
 * f64 add (never fused), in index order, the bias added after the sum. Lanes never mix, so no reassociation happens.
 * The module is assembled here from its opcodes, as in src/ops/simd-matmul.ts: no binary file, no toolchain.
 *
 * Layouts in wasm memory (f64): W as panels [outPad/B][n][B] (B = 2·ACC outputs per block, out padded with zeros),
 * so the inner loop reads one panel (n·B·8 bytes, 8 KiB for n = 128) contiguously; bias as [outPad]; X as [rows][n]
 * exactly as the caller holds it; Y as [rows][outPad]. Loop nest: output block → row pair → i. The panel stays in L1
 * across all rows, and in a row pair each weight load serves two rows.
 */
import { leb, section, sleb, str, vec } from '../num/index.ts';

const OP = {
  loop: 0x03, end: 0x0b, brIf: 0x0d, void: 0x40,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Const: 0x41, i32Ne: 0x47, i32LtU: 0x49, i32Add: 0x6a, i32Mul: 0x6c,
  simd: 0xfd,
} as const;
// SIMD sub-opcodes (final WebAssembly SIMD numbering), LEB128 after 0xfd. load64_splat = f64.load + f64x2.splat.
const SIMD = { v128Load: [0x00], load64Splat: [0x0a], v128Store: [0x0b], v128Const: [0x0c], f64x2Add: [0xf0, 0x01], f64x2Mul: [0xf2, 0x01] };

/**
 * f64x2 accumulators per row: 4 → blocks of 8 outputs (2 rows × 4 accumulators + 2 splats + 4 weights fit x64's 16
 * vector registers). Measured on the model's shapes: row pairs ~10.5 GMAC/s, single rows 8, 2 or 4 rows × 8 or 3 × 2
 * accumulators 6–9 (spills or too few independent chains); the scalar loop 1.35.
 */
export const ACC = 4;
/** Outputs per block. */
export const BLOCK = 2 * ACC;

/**
 * lin(w, b, x, y, rows, n, blocks): `rows` must be a positive multiple of R and n ≥ 1 (the caller ensures both).
 * R rows share each weight load; A accumulators per row.
 */
function kernelBody(R: number, A: number): number[] {
  const B = 2 * A;
  // params 0..6; i32 locals 7..14; v128 locals from 15: acc[r][k], splat[r], weight[k]
  const [W, BIAS, X, Y, ROWS, N, BLOCKS] = [0, 1, 2, 3, 4, 5, 6];
  const [BLK, XROW, XP, XEND, WP, WBASE, YP, R_] = [7, 8, 9, 10, 11, 12, 13, 14];
  const acc = (r: number, k: number) => 15 + r * A + k;
  const splat = (r: number) => 15 + R * A + r;
  const wv = (k: number) => 15 + R * A + R + k;
  const get = (i: number) => [OP.localGet, i];
  const set = (i: number) => [OP.localSet, i];
  const c = (v: number) => [OP.i32Const, ...sleb(v)];
  const simd = (op: number[], ...imm: number[]) => [OP.simd, ...op, ...imm];
  const mem = (align: number, offset: number) => [align, ...leb(offset)];
  const zero = simd(SIMD.v128Const, ...new Array(16).fill(0));
  const code: number[] = [];
  const emit = (...parts: number[][]) => parts.forEach((p) => code.push(...p));
  const rowBytes = () => [...get(N), ...c(8), OP.i32Mul]; // n·8, one X row

  emit(c(0), set(BLK), get(W), set(WBASE));
  emit([OP.loop, OP.void]); // over output blocks
  emit(get(X), set(XROW), c(0), set(R_));
  // yp = y + blk·B·8 (row 0 of this block)
  emit(get(Y), get(BLK), c(B * 8), [OP.i32Mul, OP.i32Add], set(YP));
  emit([OP.loop, OP.void]); // over groups of R rows
  for (let r = 0; r < R; r++) for (let k = 0; k < A; k++) emit(zero, set(acc(r, k)));
  emit(get(XROW), set(XP), get(XROW), rowBytes(), [OP.i32Add], set(XEND), get(WBASE), set(WP));
  emit([OP.loop, OP.void]); // over i: acc += splat(x[r][i]) · W[i][block]
  for (let r = 0; r < R; r++) {
    emit(get(XP));
    if (r > 0) emit(rowBytes(), c(r), [OP.i32Mul, OP.i32Add]);
    emit(simd(SIMD.load64Splat, 3, 0), set(splat(r)));
  }
  for (let k = 0; k < A; k++) emit(get(WP), simd(SIMD.v128Load, 4, ...leb(16 * k)), set(wv(k)));
  for (let r = 0; r < R; r++)
    for (let k = 0; k < A; k++)
      emit(get(acc(r, k)), get(splat(r)), get(wv(k)), simd(SIMD.f64x2Mul), simd(SIMD.f64x2Add), set(acc(r, k)));
  emit(get(WP), c(B * 8), [OP.i32Add], set(WP));
  emit(get(XP), c(8), [OP.i32Add, OP.localTee, XP], get(XEND), [OP.i32Ne, OP.brIf, 0, OP.end]);
  // Epilogue: y[r][block] = acc + bias (bias after the sum, as the scalar code does).
  const stride = () => [...get(BLOCKS), ...c(B * 8), OP.i32Mul]; // one Y row, outPad·8 bytes
  for (let r = 0; r < R; r++)
    for (let k = 0; k < A; k++) {
      emit(get(YP));
      if (r > 0) emit(stride(), c(r), [OP.i32Mul, OP.i32Add]);
      emit(get(acc(r, k)), get(BIAS), get(BLK), c(B * 8), [OP.i32Mul, OP.i32Add]);
      emit(simd(SIMD.v128Load, 4, ...leb(16 * k)), simd(SIMD.f64x2Add), simd(SIMD.v128Store, 4, ...leb(16 * k)));
    }
  emit(get(YP), stride(), c(R), [OP.i32Mul, OP.i32Add], set(YP));
  emit(get(XROW), rowBytes(), c(R), [OP.i32Mul, OP.i32Add], set(XROW));
  emit(get(R_), c(R), [OP.i32Add, OP.localTee, R_], get(ROWS), [OP.i32LtU, OP.brIf, 0, OP.end]);
  // next block: the next panel
  emit(get(WBASE), get(N), c(B * 8), [OP.i32Mul, OP.i32Add], set(WBASE));
  emit(get(BLK), c(1), [OP.i32Add, OP.localTee, BLK], get(BLOCKS), [OP.i32LtU, OP.brIf, 0, OP.end]);
  const locals = vec([[8, 0x7f], [R * A + R + A, 0x7b]]);
  const body = [...locals, ...code, OP.end];
  return [...leb(body.length), ...body];
}

/** Module exporting lin1 (one row at a time) and lin2 (row pairs); both use ACC accumulators per row. */
export function kernelModule(acc = ACC): Uint8Array {
  const i32 = 0x7f;
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec(new Array(7).fill([i32])), 0]])),
    ...section(2, vec([[...str('env'), ...str('mem'), 0x02, 0x00, 1]])),
    ...section(3, vec([[0], [0]])),
    ...section(7, vec([[...str('lin1'), 0x00, 0], [...str('lin2'), 0x00, 1]])),
    ...section(10, vec([kernelBody(1, acc), kernelBody(2, acc)])),
  ]);
}

type Kernel = (w: number, b: number, x: number, y: number, rows: number, n: number, blocks: number) => void;

/** Weights and bias of one layer, resident in the engine's memory. */
export interface PreparedLinear {
  readonly inDim: number;
  readonly outDim: number;
  readonly blocks: number; // outPad / BLOCK
  readonly wAt: number; // byte offsets
  readonly bAt: number;
}

let enabled = true;
let compiled: WebAssembly.Module | null | undefined;

/** Turn the SIMD kernel off (true → scalar JavaScript) for engines created afterwards: for tests and diagnosis. */
export function setSimdLinearEnabled(on: boolean): void {
  enabled = on;
}

/** The compiled module, or null where this Node lacks WebAssembly SIMD. */
function simdModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    const bytes = kernelModule() as Uint8Array<ArrayBuffer>;
    compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  }
  return compiled;
}

/**
 * One kernel instance and its memory (one per runner; runners are per thread): weights at the bottom, prepared once
 * at load; the per-call X and Y scratch above them.
 */
export class SimdLinear {
  private readonly memory = new WebAssembly.Memory({ initial: 1 });
  private readonly lin1: Kernel;
  private readonly lin2: Kernel;
  private top = 0;

  /** A new engine, or null when SIMD is unavailable or disabled (callers then use their scalar code). */
  static create(): SimdLinear | null {
    const mod = enabled ? simdModule() : null;
    return mod ? new SimdLinear(mod) : null;
  }

  private constructor(mod: WebAssembly.Module) {
    const { exports } = new WebAssembly.Instance(mod, { env: { mem: this.memory } });
    this.lin1 = exports.lin1 as Kernel;
    this.lin2 = exports.lin2 as Kernel;
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / 65536));
  }

  /** `count` f64 of resident memory (below the per-call scratch), zeroed; returns its byte offset. */
  private reserve(count: number): number {
    const at = this.top;
    this.top += count * 8;
    this.ensure(this.top);
    new Float64Array(this.memory.buffer, at, count).fill(0);
    return at;
  }

  /** Y = X·Wᵀ + b on operands already in memory (layouts as in the file comment); `rows` ≥ 1, n ≥ 1. */
  private gemm(wAt: number, bAt: number, xAt: number, yAt: number, rows: number, n: number, blocks: number): void {
    const even = rows & ~1;
    if (even > 0) this.lin2(wAt, bAt, xAt, yAt, even, n, blocks);
    if (even < rows) this.lin1(wAt, bAt, xAt + even * n * 8, yAt + even * blocks * BLOCK * 8, 1, n, blocks);
  }

  /** Copy W (out × in, row-major) and b into the memory in the kernel's layout; null when n = 0 (nothing to do). */
  prepare(w: Float64Array, b: Float64Array, inDim: number, outDim: number): PreparedLinear | null {
    if (inDim < 1 || outDim < 1) return null;
    const blocks = Math.ceil(outDim / BLOCK);
    const outPad = blocks * BLOCK;
    const wAt = this.top;
    const bAt = wAt + inDim * outPad * 8;
    this.top = bAt + outPad * 8;
    this.ensure(this.top);
    const panels = new Float64Array(this.memory.buffer, wAt, inDim * outPad).fill(0); // padding outputs: 0 (discarded)
    for (let o = 0; o < outDim; o++) {
      const base = Math.floor(o / BLOCK) * inDim * BLOCK + (o % BLOCK);
      for (let i = 0; i < inDim; i++) panels[base + i * BLOCK] = w[o * inDim + i];
    }
    new Float64Array(this.memory.buffer, bAt, outPad).fill(0).set(b.subarray(0, outDim));
    return { inDim, outDim, blocks, wAt, bAt };
  }

  /** ys[r·out + o] = Σ_i W[o][i]·xs[r·in + i] + b[o] for r < rows, bit-identical to the scalar loop. */
  run(p: PreparedLinear, xs: Float64Array, rows: number, ys: Float64Array): void {
    if (rows <= 0) return;
    const { inDim: n, outDim: m, blocks } = p;
    const outPad = blocks * BLOCK;
    const xAt = this.top;
    const yAt = xAt + rows * n * 8;
    this.ensure(yAt + rows * outPad * 8);
    const buf = this.memory.buffer; // after ensure: growing detaches earlier views
    new Float64Array(buf, xAt, rows * n).set(xs.subarray(0, rows * n));
    this.gemm(p.wAt, p.bAt, xAt, yAt, rows, n, blocks);
    const y = new Float64Array(buf, yAt, rows * outPad);
    if (outPad === m) ys.set(y, 0);
    else for (let r = 0; r < rows; r++) ys.set(y.subarray(r * outPad, r * outPad + m), r * m);
  }

  /**
   * Resident buffers for multi-head attention over `tokens` rows of a fused q|k|v matrix (tokens × 3·width, heads of
   * width/heads side by side), on this engine; null when there is nothing to compute. See SimdAttention.
   */
  prepareAttention(tokens: number, width: number, heads: number): SimdAttention | null {
    const dh = width / heads;
    if (tokens < 1 || !Number.isInteger(dh) || dh < 1) return null;
    const kBlocks = Math.ceil(tokens / BLOCK);
    const vBlocks = Math.ceil(dh / BLOCK);
    const at: AttentionLayout = {
      kW: this.reserve(dh * kBlocks * BLOCK), // K_h as W: out = key s, in = d
      kB: this.reserve(kBlocks * BLOCK), // zero bias
      qX: this.reserve(tokens * dh), // q_h·scale, rows t
      sY: this.reserve(tokens * kBlocks * BLOCK), // scores, rows t, stride kBlocks·BLOCK
      vW: this.reserve(tokens * vBlocks * BLOCK), // V_hᵀ as W: out = d, in = key s
      vB: this.reserve(vBlocks * BLOCK), // zero bias
      aX: this.reserve(tokens * tokens), // probabilities, rows t (written by the caller)
      oY: this.reserve(tokens * vBlocks * BLOCK), // head output, rows t, stride vBlocks·BLOCK
      kBlocks,
      vBlocks,
    };
    return new SimdAttention(this.memory, (...args) => this.gemm(...args), tokens, width, heads, at);
  }
}

interface AttentionLayout {
  kW: number; kB: number; qX: number; sY: number; vW: number; vB: number; aX: number; oY: number; // byte offsets
  kBlocks: number;
  vBlocks: number;
}

/**
 * The two matrix products of one attention head on the SIMD kernel, bit-identical to the scalar loops
 *   scores[t][s] = Σ_d (q[t][d]·scale)·k[s][d]   (d from 0; q·scale rounded first, then the product)
 *   out[t][d]    = Σ_s a[t][s]·v[s][d]           (s from 0)
 * As linear layers: scores = X·Wᵀ with X = q_h·scale (tokens × dh), W = K_h (out = keys, in = d); head output =
 * X·Wᵀ with X = a (tokens × tokens), W = V_hᵀ (out = d, in = keys). The kernel's products are w·x = k·(q·scale) and
 * v·a, equal to the scalar ones (IEEE multiplication is commutative), summed in the same order from +0. The kernel
 * then adds its (zero) bias: acc + 0 = acc for every acc but −0, and −0 never arises, as an accumulator that starts at
 * +0 can only become −0 by adding −0 to −0 (round to nearest gives +0 for x + (−x)). K_h and V_hᵀ are re-laid out
 * per head into the kernel's panels (2·tokens·dh copies); the softmax between the products is the caller's (scalar).
 * Use: scores(); softmax each row of `s` (stride sStride) into the same row of `a` (stride tokens); weighted().
 * No other call on the engine may come between the two (it could grow the memory, detaching `s` and `a`).
 */
export class SimdAttention {
  readonly dh: number;
  /** Row stride of `s`: tokens rounded up to a whole kernel block. */
  readonly sStride: number;
  /** After scores(): s[t·sStride + s'] = score of query t against key s' (entries s' ≥ tokens are padding). */
  s!: Float64Array;
  /** To be filled before weighted(): a[t·tokens + s'] = attention probability of query t on key s'. */
  a!: Float64Array;
  private buf: ArrayBuffer | null = null;
  private kW!: Float64Array;
  private qX!: Float64Array;
  private vW!: Float64Array;
  private oY!: Float64Array;

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly gemm: (wAt: number, bAt: number, xAt: number, yAt: number, rows: number, n: number, blocks: number) => void,
    readonly tokens: number,
    readonly width: number,
    readonly heads: number,
    private readonly at: AttentionLayout,
  ) {
    this.dh = width / heads;
    this.sStride = at.kBlocks * BLOCK;
    this.views();
  }

  /** (Re)create the views when the memory has grown (growing detaches the old buffer). */
  private views(): void {
    const buf = this.memory.buffer;
    if (buf === this.buf) return;
    const { tokens: T, dh, at } = this;
    this.buf = buf;
    this.kW = new Float64Array(buf, at.kW, dh * at.kBlocks * BLOCK);
    this.qX = new Float64Array(buf, at.qX, T * dh);
    this.s = new Float64Array(buf, at.sY, T * this.sStride);
    this.vW = new Float64Array(buf, at.vW, T * at.vBlocks * BLOCK);
    this.a = new Float64Array(buf, at.aX, T * T);
    this.oY = new Float64Array(buf, at.oY, T * at.vBlocks * BLOCK);
  }

  /** Scores of head h into `s`, from qkv (tokens × 3·width: q | k | v). */
  scores(qkv: Float64Array, h: number, scale: number): void {
    this.views();
    const { tokens: T, dh, width: D, kW, qX } = this;
    const stride = 3 * D;
    const panel = dh * BLOCK;
    for (let t = 0; t < T; t++) {
      const qb = t * stride + h * dh;
      const xb = t * dh;
      for (let d = 0; d < dh; d++) qX[xb + d] = qkv[qb + d] * scale;
    }
    // K_h as W (out = s, in = d): element (s, d) at panel ⌊s/B⌋, row d, lane s mod B. Padding lanes stay 0.
    for (let s0 = 0, wp = 0; s0 < T; s0 += BLOCK, wp += panel) {
      const lanes = Math.min(BLOCK, T - s0);
      for (let l = 0; l < lanes; l++) {
        const kb = (s0 + l) * stride + D + h * dh;
        for (let d = 0, w = wp + l; d < dh; d++, w += BLOCK) kW[w] = qkv[kb + d];
      }
    }
    const { at } = this;
    this.gemm(at.kW, at.kB, at.qX, at.sY, T, dh, at.kBlocks);
  }

  /** out[t·width + h·dh + d] = Σ_s a[t][s]·v_h[s][d] (every element of head h's columns written). */
  weighted(qkv: Float64Array, h: number, out: Float64Array): void {
    this.views();
    const { tokens: T, dh, width: D, vW, at } = this;
    const stride = 3 * D;
    const panel = T * BLOCK;
    // V_hᵀ as W (out = d, in = s): element (d, s) at panel ⌊d/B⌋, row s, lane d mod B; so each panel's row s is
    // v_h[s][B·p .. B·p + B − 1], contiguous. Padding lanes stay 0.
    for (let d0 = 0, wp = 0; d0 < dh; d0 += BLOCK, wp += panel) {
      const lanes = Math.min(BLOCK, dh - d0);
      for (let s = 0; s < T; s++) {
        const vb = s * stride + 2 * D + h * dh + d0;
        const wb = wp + s * BLOCK;
        for (let l = 0; l < lanes; l++) vW[wb + l] = qkv[vb + l];
      }
    }
    this.gemm(at.vW, at.vB, at.aX, at.oY, T, T, at.vBlocks);
    const { oY } = this;
    const yStride = at.vBlocks * BLOCK;
    for (let t = 0; t < T; t++) {
      const ob = t * D + h * dh;
      const yb = t * yStride;
      for (let d = 0; d < dh; d++) out[ob + d] = oY[yb + d];
    }
  }
}
