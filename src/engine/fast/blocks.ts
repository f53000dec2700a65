/**
 * Fast attention and MLP blocks (pre-norm, untraced, all tokens): the semantics of runAttention / runMlp in
 * ../blocks.ts, with every tensor in the SIMD kernel's memory in the layout its consumer reads (per-head Q, K and Vᵀ
 * written straight into the kernel's weight layout), fused epilogues and no per-image allocation.
 * Each returns the block output, or null when the block must run on the reference operators instead (a typed
 * assignment out of range in hardware mode, or a field the block's types lack): nothing it did is then visible.
 */
import { shapeOf, type ViTConfig } from '../../model/index.ts';
import type { Arith, PackedWeights, TableQuantParams } from '../../ops/index.ts';
import type { AttentionWeights, MlpWeights, StaticMatmul } from '../../refs/index.ts';
import { layerNormInto, layerNormRanges, rangeOf, requantInto, residualInto, softmaxInto, softmaxRanges } from './kernels.ts';
import { staticAt, type FastPlan } from './plan.ts';

interface Views {
  i16: Int16Array;
  i32: Int32Array;
}

let cached: { buffer: ArrayBuffer; views: Views } | undefined;

/** Views of the kernel memory (recreated when it has grown, which detaches the old ones). */
function views(plan: FastPlan): Views {
  const buffer = plan.rt.memory.buffer;
  if (cached?.buffer !== buffer) cached = { buffer, views: { i16: new Int16Array(buffer), i32: new Int32Array(buffer) } };
  return cached.views;
}

/** The stream buffer that does not hold `x`. */
function outputFor(plan: FastPlan, x: Int32Array): Int32Array {
  return plan.stream[0] === x ? plan.stream[1] : plan.stream[0];
}

/** y32 = x16 · Wᵀ on the SIMD kernel (static weights); returns the row stride of y in elements. */
function staticMatmul(plan: FastPlan, xAt: number, rows: number, w: PackedWeights): number {
  const { layout } = w.simdLayout();
  plan.rt.mm(xAt, staticAt(w)!, plan.buf.y32, rows, layout.pairs, layout.coPad);
  return layout.coPad;
}

/** A static matmul of x16 followed by its table requantizer, head by head into `out` (`place(h)` = element address, row stride). */
function matmulRequant(
  plan: FastPlan, v: Views, arith: Arith, m: StaticMatmul, quant: TableQuantParams, fields: [string, string, string, string],
  rows: number, heads: number, D: number, place: (h: number) => [number, number],
): boolean {
  const [accField, accOp, cursorField, cursorOp] = fields;
  const acc = rangeOf(arith, accField, accOp);
  const cursor = rangeOf(arith, cursorField, cursorOp);
  if (!acc || !cursor) return false;
  const stride = staticMatmul(plan, plan.buf.x16, rows, m.weights);
  for (let h = 0; h < heads; h++) {
    const [at, outStride] = place(h);
    if (!requantInto(v.i32, plan.buf.y32 / 4 + h * D, stride, rows, D, m.bias, h * D, acc, quant, cursor, v.i16, at, outStride)) return false;
  }
  return true;
}

export function fastAttention(plan: FastPlan, cfg: ViTConfig, w: AttentionWeights, x: Int32Array, arith: Arith): Int32Array | null {
  const T = cfg.tokens;
  const C = cfg.width;
  const H = cfg.heads;
  const { headDim: D } = shapeOf(cfg);
  const b = plan.buf;
  const v = views(plan);
  const ln = layerNormRanges(arith, '__attn_if_t');
  if (!ln || !layerNormInto(x, T, C, w.ln, ln, v.i16, b.x16 / 2, b.cs, plan.diff)) return null;
  // Q per head [H][T][ds]; K and V through m16 (free until the heads merge) into the kernel's weight layouts.
  if (!matmulRequant(plan, v, arith, w.q, w.qQuant, ['__attn_q_t', 'q_matmul', '__qq_cursor_t', 'q_quant'], T, H, D, (h) => [b.q16 / 2 + h * T * b.ds, b.ds])) return null;
  const tmp = (h: number): [number, number] => [b.m16 / 2 + h * T * b.ds, b.ds];
  if (!matmulRequant(plan, v, arith, w.k, w.kQuant, ['__attn_k_t', 'k_matmul', '__kq_cursor_t', 'k_quant'], T, H, D, tmp)) return null;
  kLayout(v, plan, T, H);
  if (!matmulRequant(plan, v, arith, w.v, w.vQuant, ['__attn_v_t', 'v_matmul', '__vq_cursor_t', 'v_quant'], T, H, D, tmp)) return null;
  vLayout(v, plan, T, H, D);
  for (let h = 0; h < H; h++)
    plan.rt.mm(b.q16 + h * T * b.ds * 2, b.kLay + h * (b.ds / 2) * b.kPad * 4, b.s32 + h * T * b.kPad * 4, T, b.ds / 2, b.kPad);
  const sm = softmaxRanges(arith);
  if (!sm || !softmaxInto(v.i32, b.s32 / 4, b.kPad, H * T, T, w.softmax, sm, v.i16, b.p16 / 2, b.ts, plan.e)) return null;
  const aAcc = rangeOf(arith, '__attn_a_t', 'rv_matmul');
  const aCursor = rangeOf(arith, '__aq_cursor_t', 'a_quant');
  if (!aAcc || !aCursor) return null;
  for (let h = 0; h < H; h++) {
    plan.rt.mm(b.p16 + h * T * b.ts * 2, b.vLay + h * (b.ts / 2) * b.vPad * 4, b.y32, T, b.ts / 2, b.vPad);
    if (!requantInto(v.i32, b.y32 / 4, b.vPad, T, D, undefined, 0, aAcc, w.aQuant, aCursor, v.i16, b.m16 / 2 + h * D, b.cs)) return null;
  }
  const oAcc = rangeOf(arith, '__attn_o_t', 'o_matmul');
  const of = rangeOf(arith, '__attn_of_t', 'residual');
  if (!oAcc || !of) return null;
  const stride = staticMatmul(plan, b.m16, T, w.o.weights);
  const out = outputFor(plan, x);
  if (!residualInto(v.i32, b.y32 / 4, stride, T, C, w.o.bias, oAcc, x, w.residual.rm, w.residual.rs, of, out)) return null;
  return out;
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

export function fastMlp(plan: FastPlan, cfg: ViTConfig, w: MlpWeights, x: Int32Array, arith: Arith): Int32Array | null {
  const T = cfg.tokens;
  const C = cfg.width;
  const { mlpHidden } = shapeOf(cfg);
  const b = plan.buf;
  const v = views(plan);
  const ln = layerNormRanges(arith, '__mlp_if_t');
  if (!ln || !layerNormInto(x, T, C, w.ln, ln, v.i16, b.x16 / 2, b.cs, plan.diff)) return null;
  if (!matmulRequant(plan, v, arith, w.fc1, w.gelu, ['__mlp_m1_t', 'fc1', '__gelu_cursor_t', 'gelu_quant'], T, 1, mlpHidden, () => [b.g16 / 2, b.hs])) return null;
  const acc = rangeOf(arith, '__mlp_m2_t', 'fc2');
  const of = rangeOf(arith, '__mlp_of_t', 'residual');
  if (!acc || !of) return null;
  const stride = staticMatmul(plan, b.g16, T, w.fc2.weights);
  const out = outputFor(plan, x);
  if (!residualInto(v.i32, b.y32 / 4, stride, T, C, w.fc2.bias, acc, x, w.residual.rm, w.residual.rs, of, out)) return null;
  return out;
}
