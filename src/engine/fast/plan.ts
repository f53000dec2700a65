/**
 * What the fast path needs per model, prepared once per weights object: whether every operand of every matmul fits
 * the 16-bit SIMD kernel exactly, and the buffers its tensors live in, in the kernel's memory (so activations go from
 * one operator to the next without copies or allocations).
 */
import { shapeOf, type ViTConfig } from '../../model/index.ts';
import { maxAbs, SIMD_MAX_OPERAND, simdRuntime, type PackedWeights } from '../../ops/index.ts';
import type { ModelWeights, StaticMatmul } from '../../refs/index.ts';

export type SimdRuntime = NonNullable<ReturnType<typeof simdRuntime>>;

const pad16 = (n: number) => Math.ceil(n / 16) * 16;
const even = (n: number) => n + (n & 1);

/** Byte addresses of the per-image buffers, and the strides (in elements) of their rows. */
export interface FastBuffers {
  /** LN output / matmul input [T][cs] int16. */
  x16: number;
  /** Q per head [H][T][ds] int16. */
  q16: number;
  /** K per head in the kernel's weight layout [H][ds/2][kPad][2] int16. */
  kLay: number;
  /** Vᵀ per head in the kernel's weight layout [H][ts/2][vPad][2] int16. */
  vLay: number;
  /** Scores [H][T][kPad] int32. */
  s32: number;
  /** Probabilities [H][T][ts] int16. */
  p16: number;
  /** Heads merged [T][cs] int16. */
  m16: number;
  /** MLP hidden codes [T][hs] int16. */
  g16: number;
  /** Matmul output [T][yPad] int32 (the widest matmul). */
  y32: number;
  cs: number;
  ds: number;
  ts: number;
  hs: number;
  kPad: number;
  vPad: number;
}

export interface FastPlan {
  rt: SimdRuntime;
  buf: FastBuffers;
  /** Per-element scratch of the LayerNorm and softmax rows. */
  diff: Float64Array;
  e: Float64Array;
  /** Two residual-stream buffers [T][C], used alternately so that a block never writes its own input. */
  stream: [Int32Array, Int32Array];
}

/** Every static matmul's SIMD layout address (placed once in kernel memory), or undefined if it cannot be used. */
export function staticAt(m: PackedWeights): number | undefined {
  return m.wMaxAbs <= SIMD_MAX_OPERAND ? m.simdLayout().at : undefined;
}

/** Exact in the kernel: 16-bit operands and every sum below 2^31. */
function fits(xMax: number, w: { ci: number; wMaxAbs: number }): boolean {
  return xMax <= SIMD_MAX_OPERAND && w.wMaxAbs <= SIMD_MAX_OPERAND && w.ci * xMax * w.wMaxAbs < 2 ** 31;
}

const int16Table = (t: Int32Array) => maxAbs(t) <= SIMD_MAX_OPERAND;

/** Why a model cannot take the fast path (undefined: it can). Post-norm blocks and wide operands stay on the reference operators. */
export function unsupported(weights: ModelWeights): string | undefined {
  const cfg = weights.config;
  const { headDim: D } = shapeOf(cfg);
  if (!Number.isInteger(D)) return 'width not divisible by heads';
  const lnMax = (bits: number) => 2 ** (bits - 1);
  const mm = (m: StaticMatmul, xMax: number) => fits(xMax, m.weights);
  for (let n = 0; n < cfg.depth; n++) {
    const a = weights.attention[n];
    const m = weights.mlp[n];
    if (a.norm === 'post' || m.norm === 'post') return 'post-norm block';
    if (a.ln.clampBits > 16 || m.ln.clampBits > 16 || a.softmax.clampBits > 15) return 'LayerNorm or softmax output wider than 16 bits';
    for (const t of [a.qQuant, a.kQuant, a.vQuant, a.aQuant, m.gelu]) if (!int16Table(t.table)) return 'requant table wider than 16 bits';
    const x = lnMax(a.ln.clampBits);
    if (!mm(a.q, x) || !mm(a.k, x) || !mm(a.v, x) || !mm(a.o, maxAbs(a.aQuant.table))) return 'attention operands too wide for the 16-bit kernel';
    const kBound = maxAbs(a.kQuant.table);
    const vBound = maxAbs(a.vQuant.table);
    if (!fits(maxAbs(a.qQuant.table), { ci: D, wMaxAbs: kBound })) return 'QKᵀ operands too wide';
    if (!fits(2 ** a.softmax.clampBits - 1, { ci: cfg.tokens, wMaxAbs: vBound })) return 'R·V operands too wide';
    if (!mm(m.fc1, lnMax(m.ln.clampBits)) || !mm(m.fc2, maxAbs(m.gelu.table))) return 'MLP operands too wide';
  }
  return undefined;
}

function buffers(rt: SimdRuntime, cfg: ViTConfig): FastBuffers {
  const T = cfg.tokens;
  const { headDim: D, mlpHidden } = shapeOf(cfg);
  const H = cfg.heads;
  const cs = even(cfg.width);
  const ds = even(D);
  const ts = even(T);
  const hs = even(mlpHidden);
  const kPad = pad16(T);
  const vPad = pad16(D);
  const yPad = pad16(Math.max(cfg.width, mlpHidden));
  const at = (bytes: number) => rt.allocStatic(bytes);
  return {
    x16: at(T * cs * 2),
    q16: at(H * T * ds * 2),
    kLay: at(H * ds * kPad * 2),
    vLay: at(H * ts * vPad * 2),
    s32: at(H * T * kPad * 4),
    p16: at(H * T * ts * 2),
    m16: at(T * cs * 2),
    g16: at(T * hs * 2),
    y32: at(T * yPad * 4),
    cs, ds, ts, hs, kPad, vPad,
  };
}

const plans = new WeakMap<ModelWeights, FastPlan | null>();

/** The fast path's plan for these weights, or null when the model (or this Node) cannot take it. */
export function fastPlan(weights: ModelWeights): FastPlan | null {
  let p = plans.get(weights);
  if (p === undefined) {
    const rt = simdRuntime();
    p = null;
    if (rt && !unsupported(weights)) {
      const cfg = weights.config;
      // Every static layout is placed now: the kernel memory must not grow while a block holds views of it.
      for (let n = 0; n < cfg.depth; n++) {
        const a = weights.attention[n];
        for (const m of [a.q, a.k, a.v, a.o, weights.mlp[n].fc1, weights.mlp[n].fc2]) m.weights.simdLayout();
      }
      const T = cfg.tokens;
      const size = T * cfg.width;
      p = {
        rt,
        buf: buffers(rt, cfg),
        diff: new Float64Array(cfg.width),
        e: new Float64Array(T),
        stream: [new Int32Array(size), new Int32Array(size)],
      };
    }
    plans.set(weights, p);
  }
  return p;
}
