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

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const vec = (items: number[][]) => [...leb(items.length), ...items.flat()];
const str = (s: string) => [...leb(s.length), ...Buffer.from(s, 'utf8')];

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
    const even = rows & ~1;
    if (even > 0) this.lin2(p.wAt, p.bAt, xAt, yAt, even, n, blocks);
    if (even < rows) this.lin1(p.wAt, p.bAt, xAt + even * n * 8, yAt + even * outPad * 8, 1, n, blocks);
    const y = new Float64Array(buf, yAt, rows * outPad);
    if (outPad === m) ys.set(y, 0);
    else for (let r = 0; r < rows; r++) ys.set(y.subarray(r * outPad, r * outPad + m), r * m);
  }
}
