/**
 * Fast attention and MLP blocks (pre-norm, untraced, all tokens): the semantics of runAttention / runMlp in
 * ../blocks.ts, with every tensor in the SIMD kernel's memory in the layout its consumer reads (per-head Q, and K and
 * Vᵀ in the kernel's weight layout), the per-element operators in WebAssembly (wasm-ops.ts), no per-image allocation.
 * Each returns the block output, or null when the block must run on the reference operators instead (a typed
 * assignment out of range in hardware mode, or a field the block's types lack); nothing it did is then visible.
 */
import { shapeOf, type ViTConfig } from '../../model/index.ts';
import type { Arith, LayerNormParams, PackedWeights, TableQuantParams } from '../../ops/index.ts';
import { wrapToType } from '../../num/index.ts';
import type { AttentionWeights, MlpWeights, StaticMatmul } from '../../refs/index.ts';
import type { AttentionAt, FastPlan, LnAt, MlpAt } from './plan.ts';
import { layerNormBlock, requantBlock, residualBlock, softmaxBlock } from './ranges.ts';

interface Views {
  i16: Int16Array;
  i32: Int32Array;
  f64: Float64Array;
}

let cached: { buffer: ArrayBuffer; views: Views } | undefined;

/** Views of the kernel memory (recreated when it has grown, which detaches the old ones). */
function views(plan: FastPlan): Views {
  const buffer = plan.rt.memory.buffer as ArrayBuffer;
  if (cached?.buffer !== buffer) cached = { buffer, views: { i16: new Int16Array(buffer), i32: new Int32Array(buffer), f64: new Float64Array(buffer) } };
  return cached.views;
}

/** Write a kernel's parameter block; false when a range was missing. */
function setParams(plan: FastPlan, v: Views, values: number[] | undefined): values is number[] {
  if (!values) return false;
  v.f64.set(values, plan.buf.params / 8);
  return true;
}

/** The stream buffer that does not hold `x`. */
function outputFor(plan: FastPlan, x: Int32Array): Int32Array {
  return plan.stream[0] === x ? plan.stream[1] : plan.stream[0];
}

/**
 * y = x·Wᵀ (kernel layouts, byte addresses): row pairs on the two-row kernel, an odd last row on the one-row kernel.
 * `sparse` for inputs with many zero pairs (GELU codes, probabilities): skipping them pays there and costs elsewhere
 * (measured per image: fc1 11.0 ms dense vs 17.7 ms skipping; fc2 9.1 vs 10.7; R·V 0.9 vs 2.4).
 */
function matmul(plan: FastPlan, sparse: boolean, x: number, w: number, y: number, rows: number, pairs: number, coPad: number): void {
  const even = rows & ~1;
  if (even > 0) (sparse ? plan.mm.sparse : plan.mm.dense)(x, w, y, even, pairs, coPad);
  if (even < rows) plan.rt.mm(x + even * pairs * 4, w, y + even * coPad * 4, 1, pairs, coPad);
}

/**
 * y32 = (activations at xAt) · Wᵀ with static weights, on the packed kernel when the plan packed them (the odd last
 * row on the one-row kernel); returns the row stride of y32 in elements.
 */
function staticMatmul(plan: FastPlan, xAt: number, rows: number, w: PackedWeights, sparse = false): number {
  const { layout, at } = w.simdLayout();
  const packed = plan.packed.get(w);
  if (!packed) {
    matmul(plan, sparse, xAt, at!, plan.buf.y32, rows, layout.pairs, layout.coPad);
    return layout.coPad;
  }
  const even = rows & ~1;
  if (even > 0) plan.mm.packed(xAt, packed.at, plan.buf.y32, even, layout.pairs, layout.coPad / 2, packed.chunk);
  if (even < rows) plan.rt.mm(xAt + even * layout.pairs * 4, at!, plan.buf.y32 + even * layout.coPad * 4, 1, layout.pairs, layout.coPad);
  return layout.coPad;
}

/** LayerNorm+quant of the stream input (xIn) into x16. */
function layerNorm(plan: FastPlan, v: Views, p: LayerNormParams, at: LnAt, arith: Arith, inputField: string, T: number, C: number): boolean {
  const b = plan.buf;
  if (!setParams(plan, v, layerNormBlock(arith, p, inputField))) return false;
  const outMax = 2 ** (p.clampBits - 1) - 1;
  return plan.ops.layernorm(b.xIn, T, C, b.x16, b.cs * 2, b.diff, at.lnw, at.lnb, at.rsqrt, p.bound, -outMax - 1, outMax, b.params) === 0;
}

/**
 * The requant kernel for a [rows][cols] block (byte addresses and strides): four int32 lanes at a time where that is
 * exact (cols a multiple of 4, b an int32 integer, s ≤ 31), else the scalar float64 kernel. 0 = all in range.
 */
function requant(plan: FastPlan, y: number, ys: number, rows: number, cols: number, bias: number, tab: number, q: TableQuantParams, out: number, os: number): number {
  if (cols % 4 === 0 && Number.isInteger(q.b) && Math.abs(q.b) < 2 ** 31 && q.s <= 31)
    return plan.ops.requant4(y, ys, rows, cols, bias, tab, q.bound, out, os, plan.buf.params, q.b, q.s);
  return plan.ops.requant(y, ys, rows, cols, bias, tab, q.bound, out, os, plan.buf.params);
}

/** Wrap events found on the fast path, logged (in the reference's order) only if the block completes there. */
type Pending = Array<() => void>;

/** A static matmul of x16, its bias and its table requantizer, in column groups of D into `place(h)` = [address, row stride] (bytes). */
function matmulRequant(
  plan: FastPlan, v: Views, arith: Arith, m: StaticMatmul, biasAt: number, q: TableQuantParams, tabAt: number,
  fields: [string, string, string, string], T: number, heads: number, D: number, place: (h: number) => [number, number], pending: Pending,
): boolean {
  if (!setParams(plan, v, requantBlock(arith, q, [fields[0], fields[1]], [fields[2], fields[3]]))) return false;
  const stride = staticMatmul(plan, plan.buf.x16, T, m.weights);
  for (let h = 0; h < heads; h++) {
    const [at, os] = place(h);
    if (requant(plan, plan.buf.y32 + h * D * 4, stride * 4, T, D, biasAt + h * D * 4, tabAt, q, at, os) !== 0) {
      requantWrapping(plan, v, arith, m.bias, stride, q, fields, T, heads, D, place, pending);
      return true;
    }
  }
  return true;
}

/** Two's-complement wrap into [lo, hi]: a type's range (the fast path runs only in ideal and hardware arithmetic). */
function wrapInto(value: number, lo: number, hi: number): number {
  return wrapToType(value, { signed: lo < 0, bits: Math.log2(hi - lo + 1) });
}

/**
 * The matmul epilogue and table requantizer as the reference performs them, wraps included, for a tensor in which the
 * kernel found a value out of range (in HG-PIPE's shipped widths, most photos wrap a k-quant cursor somewhere): the
 * accumulator's typed assignment over the whole [T][co] tensor, then the cursor's, element indices as the reference's.
 */
function requantWrapping(
  plan: FastPlan, v: Views, arith: Arith, bias: Float64Array, stride: number, q: TableQuantParams, fields: [string, string, string, string],
  T: number, heads: number, D: number, place: (h: number) => [number, number], pending: Pending,
): void {
  const co = heads * D;
  const accT = arith.fitter(fields[0], fields[1]);
  const cursorT = arith.fitter(fields[2], fields[3]);
  const acc = new Int32Array(T * co);
  const y = v.i32;
  const yAt = plan.buf.y32 / 4;
  for (let t = 0; t < T; t++)
    for (let o = 0; o < co; o++) {
      let a = (y[yAt + t * stride + o] + bias[o]) | 0;
      const element = t * co + o;
      if (a < accT.lo || a > accT.hi) {
        const value = a;
        pending.push(() => accT.wrap(value, element));
        a = wrapInto(a, accT.lo, accT.hi);
      }
      acc[element] = a;
    }
  const { b, s, bound, table } = q;
  for (let t = 0; t < T; t++)
    for (let o = 0; o < co; o++) {
      const element = t * co + o;
      const x = acc[element] + b;
      let cursor = (x | 0) === x ? x >> s : Math.floor(x / 2 ** s);
      if (cursor < cursorT.lo || cursor > cursorT.hi) {
        const value = cursor;
        pending.push(() => cursorT.wrap(value, element));
        cursor = wrapInto(cursor, cursorT.lo, cursorT.hi);
      }
      const h = Math.floor(o / D);
      const [at, os] = place(h);
      v.i16[at / 2 + t * (os / 2) + (o - h * D)] = table[cursor < 0 ? 0 : cursor > bound ? bound : cursor];
    }
}

/** The block's result: the kernel's output stream copied into the stream buffer that does not hold x. */
function result(plan: FastPlan, v: Views, x: Int32Array, pending: Pending): Int32Array {
  for (const log of pending) log();
  const out = outputFor(plan, x);
  out.set(v.i32.subarray(plan.buf.xOut / 4, plan.buf.xOut / 4 + out.length));
  return out;
}

export function fastAttention(plan: FastPlan, n: number, cfg: ViTConfig, w: AttentionWeights, x: Int32Array, arith: Arith): Int32Array | null {
  const T = cfg.tokens;
  const C = cfg.width;
  const H = cfg.heads;
  const { headDim: D } = shapeOf(cfg);
  const b = plan.buf;
  const at: AttentionAt = plan.attention[n];
  const v = views(plan);
  const pending: Pending = [];
  v.i32.set(x, b.xIn / 4);
  if (!layerNorm(plan, v, w.ln, at.ln, arith, '__attn_if_t', T, C)) return null;
  // Q per head [H][T][ds]; K and V through m16 (free until the heads merge) into the kernel's weight layouts.
  const qPlace = (h: number): [number, number] => [b.q16 + h * T * b.ds * 2, b.ds * 2];
  const tmpPlace = (h: number): [number, number] => [b.m16 + h * T * b.ds * 2, b.ds * 2];
  if (!matmulRequant(plan, v, arith, w.q, at.q, w.qQuant, at.qTab, ['__attn_q_t', 'q_matmul', '__qq_cursor_t', 'q_quant'], T, H, D, qPlace, pending)) return null;
  if (!matmulRequant(plan, v, arith, w.k, at.k, w.kQuant, at.kTab, ['__attn_k_t', 'k_matmul', '__kq_cursor_t', 'k_quant'], T, H, D, tmpPlace, pending)) return null;
  kLayout(v, plan, T, H);
  if (!matmulRequant(plan, v, arith, w.v, at.v, w.vQuant, at.vTab, ['__attn_v_t', 'v_matmul', '__vq_cursor_t', 'v_quant'], T, H, D, tmpPlace, pending)) return null;
  vLayout(v, plan, T, H, D);
  for (let h = 0; h < H; h++)
    matmul(plan, false, b.q16 + h * T * b.ds * 2, b.kLay + h * (b.ds / 2) * b.kPad * 4, b.s32 + h * T * b.kPad * 4, T, b.ds / 2, b.kPad);
  const sm = w.softmax;
  if (!setParams(plan, v, softmaxBlock(arith, sm))) return null;
  const outMax = 2 ** sm.clampBits - 1;
  // The integer kernel where its preconditions hold and the rows' extremes prove every value in range; else per element.
  const integer = [sm.b1, sm.b3One, sm.b3Two].every((k) => Number.isInteger(k) && Math.abs(k) < 2 ** 31) && sm.s1 <= 31 && sm.s3One <= 62 && sm.s3Two <= 62;
  const args = [b.s32, b.kPad * 4, H * T, T, b.p16, b.ts * 2, b.e, at.exp, at.recipOne, at.recipTwo, sm.bound1, sm.bound2One, sm.bound2Two, outMax, b.params] as const;
  if (!(integer && plan.softmaxInt(...args, sm.b1, sm.s1, sm.s3One, sm.s3Two, at.expMin, at.expMax) === 0) && plan.ops.softmax(...args) !== 0) return null;
  if (!setParams(plan, v, requantBlock(arith, w.aQuant, ['__attn_a_t', 'rv_matmul'], ['__aq_cursor_t', 'a_quant']))) return null;
  for (let h = 0; h < H; h++) {
    matmul(plan, true, b.p16 + h * T * b.ts * 2, b.vLay + h * (b.ts / 2) * b.vPad * 4, b.y32, T, b.ts / 2, b.vPad);
    if (requant(plan, b.y32, b.vPad * 4, T, D, b.zeros, at.aTab, w.aQuant, b.m16 + h * D * 2, b.cs * 2) !== 0) return null;
  }
  if (!setParams(plan, v, residualBlock(arith, w.residual.rm, w.residual.rs, ['__attn_o_t', 'o_matmul'], '__attn_of_t'))) return null;
  const stride = staticMatmul(plan, b.m16, T, w.o.weights);
  if (plan.ops.residual(b.y32, stride * 4, T, C, at.o, b.xIn, b.xOut, b.params) !== 0) return null;
  return result(plan, v, x, pending);
}

/** K of head h, [T][ds] in m16, → the QKᵀ weight layout [ds/2][kPad] of int16 pairs (one int32 word per pair). */
function kLayout(v: Views, plan: FastPlan, T: number, H: number): void {
  const b = plan.buf;
  const pairs = b.ds / 2;
  for (let h = 0; h < H; h++) {
    const src = (b.m16 + h * T * b.ds * 2) / 4;
    const dst = (b.kLay + h * pairs * b.kPad * 4) / 4;
    for (let t = 0; t < T; t++) for (let p = 0; p < pairs; p++) v.i32[dst + p * b.kPad + t] = v.i32[src + t * pairs + p];
  }
}

/** V of head h, [T][ds] in m16, → the R·V weight layout [ts/2][vPad][2]: the pair is two consecutive tokens. */
function vLayout(v: Views, plan: FastPlan, T: number, H: number, D: number): void {
  const b = plan.buf;
  for (let h = 0; h < H; h++) {
    const src = (b.m16 + h * T * b.ds * 2) / 2;
    const dst = (b.vLay + h * (b.ts / 2) * b.vPad * 4) / 2;
    for (let t = 0; t < T; t++) {
      const o = dst + (t >> 1) * b.vPad * 2 + (t & 1);
      const s = src + t * b.ds;
      for (let d = 0; d < D; d++) v.i16[o + 2 * d] = v.i16[s + d];
    }
  }
}

export function fastMlp(plan: FastPlan, n: number, cfg: ViTConfig, w: MlpWeights, x: Int32Array, arith: Arith): Int32Array | null {
  const T = cfg.tokens;
  const C = cfg.width;
  const { mlpHidden } = shapeOf(cfg);
  const b = plan.buf;
  const at: MlpAt = plan.mlp[n];
  const v = views(plan);
  const pending: Pending = [];
  v.i32.set(x, b.xIn / 4);
  if (!layerNorm(plan, v, w.ln, at.ln, arith, '__mlp_if_t', T, C)) return null;
  const fields: [string, string, string, string] = ['__mlp_m1_t', 'fc1', '__gelu_cursor_t', 'gelu_quant'];
  if (!matmulRequant(plan, v, arith, w.fc1, at.fc1, w.gelu, at.gelu, fields, T, 1, mlpHidden, () => [b.g16, b.hs * 2], pending)) return null;
  if (!setParams(plan, v, residualBlock(arith, w.residual.rm, w.residual.rs, ['__mlp_m2_t', 'fc2'], '__mlp_of_t'))) return null;
  const stride = staticMatmul(plan, b.g16, T, w.fc2.weights, true);
  if (plan.ops.residual(b.y32, stride * 4, T, C, at.fc2, b.xIn, b.xOut, b.params) !== 0) return null;
  return result(plan, v, x, pending);
}
