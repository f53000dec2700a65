/**
 * WebAssembly SIMD matmul kernel: `i32x4.dot_i16x8_s` does 8 exact 16-bit multiply-adds into 32-bit lanes per
 * instruction, several times what scalar JavaScript reaches. The module (one function) is assembled here from its
 * opcodes, so nothing binary is stored in the repository and no WebAssembly toolchain is needed.
 *
 * Operands are 16-bit integers: every activation and weight of HG-PIPE's model (3-bit and 8-bit) fits, and sums stay
 * far below 2^31. Callers check `fitsSimd` and otherwise use the float-lane kernel in matmul.ts.
 *
 * Layouts in wasm memory: x as int16 [rows][2·pairs] (ci padded to even); W as int16 [pairs][coPad][2] (two
 * consecutive input channels of one output channel side by side, coPad = co rounded up to 16); y as int32
 * [rows][coPad]. Loop nest: row → block of 16 output channels (four v128 accumulators) → input-channel pair, skipping
 * pairs whose two activations are both zero.
 */

import { leb, section, sleb, str, vec } from '../num/index.ts';

const OP = {
  block: 0x02, loop: 0x03, if: 0x04, end: 0x0b, br: 0x0c, brIf: 0x0d, void: 0x40,
  localGet: 0x20, localSet: 0x21,
  i32Load: 0x28, i32Const: 0x41, i32Eqz: 0x45, i32GeU: 0x4f, i32Add: 0x6a, i32Mul: 0x6c,
  simd: 0xfd,
} as const;
// SIMD sub-opcodes (final numbering of the WebAssembly SIMD proposal), LEB128-encoded after 0xfd.
const SIMD = { v128Load: [0x00], v128Store: [0x0b], v128Const: [0x0c], i32x4Splat: [0x11], i32x4Add: [0xae, 0x01], i32x4Dot: [0xba, 0x01] };


function kernelBody(): number[] {
  // params: 0 x, 1 w, 2 y, 3 rows, 4 pairs, 5 coPad; locals: 6 t, 7 c0, 8 p, 9 xRow, 10 xv, 11 wp, 12 yp, 13..16 acc, 17 splat
  const [X, W, Y, ROWS, PAIRS, COPAD, T, C0, P, XROW, XV, WP, YP, S] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 17];
  const ACC = [13, 14, 15, 16];
  const get = (i: number) => [OP.localGet, i];
  const set = (i: number) => [OP.localSet, i];
  const c = (v: number) => [OP.i32Const, ...sleb(v)];
  const simd = (op: number[], ...imm: number[]) => [OP.simd, ...op, ...imm];
  const zero = simd(SIMD.v128Const, ...new Array(16).fill(0));
  const code: number[] = [];
  const emit = (...parts: number[][]) => parts.forEach((p) => code.push(...p));
  emit(c(0), set(T));
  emit([OP.block, OP.void, OP.loop, OP.void]);
  emit(get(T), get(ROWS), [OP.i32GeU, OP.brIf, 1]);
  // xRow = x + t·pairs·4
  emit(get(X), get(T), get(PAIRS), [OP.i32Mul], c(4), [OP.i32Mul, OP.i32Add], set(XROW));
  emit(c(0), set(C0));
  emit([OP.block, OP.void, OP.loop, OP.void]);
  emit(get(C0), get(COPAD), [OP.i32GeU, OP.brIf, 1]);
  for (const a of ACC) emit(zero, set(a));
  emit(c(0), set(P));
  emit(get(W), get(C0), c(4), [OP.i32Mul, OP.i32Add], set(WP));
  emit([OP.block, OP.void, OP.loop, OP.void]);
  emit(get(P), get(PAIRS), [OP.i32GeU, OP.brIf, 1]);
  emit(get(XROW), get(P), c(4), [OP.i32Mul, OP.i32Add, OP.i32Load, 2, 0], set(XV));
  emit(get(XV), [OP.i32Eqz, OP.i32Eqz, OP.if, OP.void]);
  emit(get(XV), simd(SIMD.i32x4Splat), set(S));
  ACC.forEach((a, k) => emit(get(a), get(S), get(WP), simd(SIMD.v128Load, 4, ...leb(16 * k)), simd(SIMD.i32x4Dot), simd(SIMD.i32x4Add), set(a)));
  emit([OP.end]);
  emit(get(WP), get(COPAD), c(4), [OP.i32Mul, OP.i32Add], set(WP));
  emit(get(P), c(1), [OP.i32Add], set(P), [OP.br, 0, OP.end, OP.end]);
  // yp = y + (t·coPad + c0)·4; store the four accumulators
  emit(get(Y), get(T), get(COPAD), [OP.i32Mul], get(C0), [OP.i32Add], c(4), [OP.i32Mul, OP.i32Add], set(YP));
  ACC.forEach((a, k) => emit(get(YP), get(a), simd(SIMD.v128Store, 4, ...leb(16 * k))));
  emit(get(C0), c(16), [OP.i32Add], set(C0), [OP.br, 0, OP.end, OP.end]);
  emit(get(T), c(1), [OP.i32Add], set(T), [OP.br, 0, OP.end, OP.end]);
  const locals = vec([[7, 0x7f], [5, 0x7b]]);
  const body = [...locals, ...code, OP.end];
  return [...leb(body.length), ...body];
}


function kernelModule(): Uint8Array {
  const i32 = 0x7f;
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[i32], [i32], [i32], [i32], [i32], [i32]]), 0]])),
    ...section(2, vec([[...str('env'), ...str('mem'), 0x02, 0x00, 1]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...str('mm'), 0x00, 0]])),
    ...section(10, vec([kernelBody()])),
  ]);
}

type Kernel = (x: number, w: number, y: number, rows: number, pairs: number, coPad: number) => void;

/** One kernel instance with its memory: static weights at the bottom, per-call scratch above them. */
class SimdRuntime {
  readonly memory = new WebAssembly.Memory({ initial: 16 });
  readonly mm: Kernel;
  private staticTop = 0;
  constructor() {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(kernelModule() as Uint8Array<ArrayBuffer>), { env: { mem: this.memory } });
    this.mm = instance.exports.mm as Kernel;
  }
  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / 65536));
  }
  /** Reserve bytes that stay for the life of the process (weights of static matmuls). */
  allocStatic(bytes: number): number {
    const at = this.staticTop;
    this.staticTop += Math.ceil(bytes / 16) * 16;
    this.ensure(this.staticTop);
    return at;
  }
  /** Scratch space above the static area, valid until the next call. */
  scratch(bytes: number[]): number[] {
    let at = this.staticTop;
    const out = bytes.map((b) => {
      const p = at;
      at += Math.ceil(b / 16) * 16;
      return p;
    });
    this.ensure(at);
    return out;
  }
}

let runtime: SimdRuntime | null | undefined;

/** The SIMD runtime, or null where this Node has no WebAssembly SIMD (callers then use the JS kernel). */
export function simdRuntime(): SimdRuntime | null {
  if (runtime === undefined) {
    try {
      runtime = new SimdRuntime();
    } catch {
      runtime = null;
    }
  }
  return runtime;
}

export const SIMD_MAX_OPERAND = 32767;

/** Weights laid out for the kernel: int16 [pairs][coPad][2]. */
export function simdWeightLayout(w: Int32Array, co: number, ci: number): { data: Int16Array; pairs: number; coPad: number } {
  const pairs = Math.ceil(ci / 2);
  const coPad = Math.ceil(co / 16) * 16;
  const data = new Int16Array(pairs * coPad * 2);
  // Written in order (pair by pair); reading along a weight row instead would scatter the writes over the layout.
  for (let p = 0; p < pairs; p++)
    for (let o = 0; o < co; o++) {
      const src = o * ci + 2 * p;
      const dst = (p * coPad + o) * 2;
      data[dst] = w[src];
      if (2 * p + 1 < ci) data[dst + 1] = w[src + 1];
    }
  return { data, pairs, coPad };
}

/**
 * y = x·Wᵀ (+ bias) on the SIMD kernel, or null when an activation does not fit 16 bits or a sum could exceed 31
 * bits (the caller then uses another kernel). `weightsAt` is the static address of the laid-out weights, or undefined
 * to copy `layout.data` into scratch for this call (dynamic weights such as the per-image K and V caches).
 */
export function simdMatmul(
  rt: SimdRuntime,
  x: Int32Array,
  rows: number,
  ci: number,
  co: number,
  wMaxAbs: number,
  layout: { data: Int16Array; pairs: number; coPad: number },
  weightsAt: number | undefined,
  bias?: ArrayLike<number>,
): Int32Array | null {
  const { pairs, coPad } = layout;
  const xBytes = rows * pairs * 4;
  const yBytes = rows * coPad * 4;
  const wBytes = weightsAt === undefined ? layout.data.byteLength : 0;
  const [xAt, yAt, wScratch] = rt.scratch([xBytes, yBytes, wBytes]);
  const buf = rt.memory.buffer;
  const xs = new Int16Array(buf, xAt, rows * pairs * 2);
  // Copy the activations, checking on the way that they fit the kernel's exactness bound.
  const xLimit = Math.min(SIMD_MAX_OPERAND, Math.floor((2 ** 31 - 1) / Math.max(1, ci * wMaxAbs)));
  const stride = pairs * 2;
  for (let t = 0; t < rows; t++) {
    const src = t * ci;
    const dst = t * stride;
    for (let i = 0; i < ci; i++) {
      const v = x[src + i];
      if (v > xLimit || v < -xLimit) return null;
      xs[dst + i] = v;
    }
    if (stride !== ci) xs[dst + ci] = 0;
  }
  let wAt = weightsAt;
  if (wAt === undefined) {
    new Int16Array(buf, wScratch, layout.data.length).set(layout.data);
    wAt = wScratch;
  }
  rt.mm(xAt, wAt, yAt, rows, pairs, coPad);
  const ys = new Int32Array(buf, yAt, rows * coPad);
  const y = new Int32Array(rows * co);
  for (let t = 0; t < rows; t++) {
    const src = t * coPad;
    const dst = t * co;
    if (bias) for (let o = 0; o < co; o++) y[dst + o] = ys[src + o] + bias[o];
    else y.set(ys.subarray(src, src + co), dst);
  }
  return y;
}
