/**
 * What the fast path needs per model, prepared once per weights object: whether every operand of every matmul fits
 * the 16-bit SIMD kernel exactly, and the buffers its tensors live in, in the kernel's memory (so activations go from
 * one operator to the next without copies or allocations).
 */
import { shapeOf, type ViTConfig } from '../../model/index.ts';
import { maxAbs, SIMD_MAX_OPERAND, simdRuntime, type LayerNormParams, type PackedWeights, type TableQuantParams } from '../../ops/index.ts';
import type { ModelWeights, StaticMatmul } from '../../refs/index.ts';
import { opsKernels, type OpsKernels } from './wasm-ops.ts';
import { matmulKernels, packedWeightLayout, type Matmul, type PackedMatmul } from './wasm-matmul.ts';
import { softmaxIntKernel, type SoftmaxInt } from './wasm-softmax.ts';

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
  /** Patch matrix [T][ps] int16 (the patch embedding's input). */
  patch: number;
  ps: number;
  /** Residual stream in and out [T][C] int32. */
  xIn: number;
  xOut: number;
  /** Scratch: LayerNorm differences f64 [C], softmax exponentials f64 [T], a zero bias int32 [yPad], parameter block f64 [64]. */
  diff: number;
  e: number;
  zeros: number;
  params: number;
  cs: number;
  ds: number;
  ts: number;
  hs: number;
  kPad: number;
  vPad: number;
}

/** A LayerNorm's tables in kernel memory (f64). */
export interface LnAt {
  lnw: number;
  lnb: number;
  rsqrt: number;
}

/** A table requantizer's table in kernel memory (int16). */
export type TableAt = number;

export interface AttentionAt {
  ln: LnAt;
  /** int32 biases of q, k, v, o. */
  q: number;
  k: number;
  v: number;
  o: number;
  qTab: TableAt;
  kTab: TableAt;
  vTab: TableAt;
  aTab: TableAt;
  /** Softmax tables, int32, and the exp table's extremes. */
  exp: number;
  expMin: number;
  expMax: number;
  recipOne: number;
  recipTwo: number;
}

export interface MlpAt {
  ln: LnAt;
  fc1: number;
  fc2: number;
  gelu: TableAt;
}

export interface FastPlan {
  rt: SimdRuntime;
  ops: OpsKernels;
  /** Two-row matmul kernels: `sparse` skips zero input pairs, `dense` does not test, `packed` takes packed weights. */
  mm: { sparse: Matmul; dense: Matmul; packed: PackedMatmul };
  /** The static matmuls that run on the packed kernel: their packed layout's address and chunk length (pairs). */
  packed: Map<PackedWeights, { at: number; chunk: number }>;
  softmaxInt: SoftmaxInt;
  buf: FastBuffers;
  attention: AttentionAt[];
  mlp: MlpAt[];
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

/**
 * Input pairs per chunk of the packed kernel (wasm-matmul.ts) for inputs within ±xMax, or 0 when it does not apply:
 * each chunk's low-column sum must stay within ±2047 and a packed operand within int16 (|w| ≤ 7). Below 8 pairs a
 * chunk's extraction would cost more than the packing saves. HG-PIPE: 63 pairs for LayerNorm codes, 36 for GELU codes.
 */
function packedChunk(w: PackedWeights, xMax: number): number {
  if (w.simdLayout().layout.coPad % 32 !== 0 || w.wMaxAbs > 7) return 0;
  const chunk = Math.floor(2047 / Math.max(1, 2 * xMax * w.wMaxAbs));
  return chunk >= 8 ? chunk : 0;
}

const int16Table = (t: Int32Array) => maxAbs(t) <= SIMD_MAX_OPERAND;
/** The kernels add biases in int32, as the reference stores y + bias in an Int32Array: exact for int32 biases. */
const int32Bias = (b: Float64Array) => b.every((v) => Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31);

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
    if (![a.q, a.k, a.v, a.o, m.fc1, m.fc2].every((x) => int32Bias(x.bias))) return 'bias not an int32 integer';
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
  // (the patch embedding's output is [T][width] too)
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
    patch: at(T * even(shapeOf(cfg).patchElements) * 2),
    ps: even(shapeOf(cfg).patchElements),
    xIn: at(T * cfg.width * 4),
    xOut: at(T * cfg.width * 4),
    diff: at(cfg.width * 8),
    e: at(T * 8),
    zeros: at(yPad * 4),
    params: at(64 * 8),
    cs, ds, ts, hs, kPad, vPad,
  };
}

/** Copies of the per-block constants in kernel memory, in the element types the kernels read. */
function placer(rt: SimdRuntime) {
  const put = <A extends Int16Array | Int32Array | Float64Array>(Kind: { new (b: ArrayBuffer, at: number, n: number): A }, values: ArrayLike<number>): number => {
    const at = rt.allocStatic(values.length * Kind.prototype.BYTES_PER_ELEMENT);
    new Kind(rt.memory.buffer as ArrayBuffer, at, values.length).set(values as ArrayLike<number> & Iterable<number>);
    return at;
  };
  const i16 = (v: ArrayLike<number>) => put(Int16Array, v);
  const i32 = (v: ArrayLike<number>) => put(Int32Array, v);
  const f64 = (v: ArrayLike<number>) => put(Float64Array, v);
  const ln = (p: LayerNormParams): LnAt => ({ lnw: f64(p.lnw), lnb: f64(p.lnb), rsqrt: f64(p.rsqrt) });
  const tab = (q: TableQuantParams): TableAt => i16(q.table);
  return { i16, i32, ln, tab };
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
      staticAt(weights.patchEmbed.matmul);
      for (let n = 0; n < cfg.depth; n++) {
        const a = weights.attention[n];
        for (const m of [a.q, a.k, a.v, a.o, weights.mlp[n].fc1, weights.mlp[n].fc2]) m.weights.simdLayout();
      }
      const size = cfg.tokens * cfg.width;
      const put = placer(rt);
      const attention = weights.attention.map((a): AttentionAt => ({
        ln: put.ln(a.ln),
        q: put.i32(a.q.bias), k: put.i32(a.k.bias), v: put.i32(a.v.bias), o: put.i32(a.o.bias),
        qTab: put.tab(a.qQuant), kTab: put.tab(a.kQuant), vTab: put.tab(a.vQuant), aTab: put.tab(a.aQuant),
        exp: put.i32(a.softmax.exp), expMin: Math.min(...a.softmax.exp), expMax: Math.max(...a.softmax.exp), recipOne: put.i32(a.softmax.recipOne), recipTwo: put.i32(a.softmax.recipTwo),
      }));
      const mlp = weights.mlp.map((m): MlpAt => ({ ln: put.ln(m.ln), fc1: put.i32(m.fc1.bias), fc2: put.i32(m.fc2.bias), gelu: put.tab(m.gelu) }));
      // Every block's static matmuls run on packed weights where their operand ranges allow it (all of them in HG-PIPE's
      // 3-bit model: 40.0 instead of 53.5 ms per image on one thread).
      const packed = new Map<PackedWeights, { at: number; chunk: number }>();
      const lnMax = (bits: number) => 2 ** (bits - 1);
      for (let n = 0; n < cfg.depth; n++) {
        const a = weights.attention[n];
        const m = weights.mlp[n];
        for (const [mm, xMax] of [[a.q, lnMax(a.ln.clampBits)], [a.k, lnMax(a.ln.clampBits)], [a.v, lnMax(a.ln.clampBits)], [a.o, maxAbs(a.aQuant.table)], [m.fc1, lnMax(m.ln.clampBits)], [m.fc2, maxAbs(m.gelu.table)]] as const) {
          const chunk = packedChunk(mm.weights, xMax);
          const { layout } = mm.weights.simdLayout();
          if (chunk > 0) packed.set(mm.weights, { at: put.i16(packedWeightLayout(layout.data, layout.pairs, layout.coPad)), chunk });
        }
      }
      p = { rt, ops: opsKernels(rt.memory), mm: matmulKernels(rt.memory), packed, softmaxInt: softmaxIntKernel(rt.memory), buf: buffers(rt, cfg), attention, mlp, stream: [new Int32Array(size), new Int32Array(size)] };
    }
    plans.set(weights, p);
  }
  return p;
}
