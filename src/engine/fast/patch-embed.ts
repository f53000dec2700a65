/**
 * Fast patch embedding: the semantics of runPatchEmbed (../blocks.ts) with the matmul on the two-row kernel and the
 * patches copied once into its memory. Returns null (the reference then runs) when a patch value is too wide for
 * the 16-bit kernel or a typed assignment is out of range.
 */
import type { ViTConfig } from '../../model/index.ts';
import { SIMD_MAX_OPERAND, type Arith } from '../../ops/index.ts';
import type { PatchEmbedWeights } from '../../refs/index.ts';
import type { FastPlan } from './plan.ts';
import { rangeOf } from './ranges.ts';

export function fastPatchEmbed(plan: FastPlan, cfg: ViTConfig, w: PatchEmbedWeights, x: Int32Array, arith: Arith): Int32Array | null {
  const T = cfg.tokens;
  const C = cfg.width;
  const b = plan.buf;
  const m = w.matmul;
  if (m.wMaxAbs > SIMD_MAX_OPERAND || T % 2 !== 0) return null;
  const acc = rangeOf(arith, '__ml_t', 'patch_embed_matmul');
  const of = rangeOf(arith, '__of_t', 'patch_embed_shift');
  if (!acc || !of) return null;
  // The kernel is exact while |x| ≤ xLimit (16-bit operands, sums below 2^31).
  const xLimit = Math.min(SIMD_MAX_OPERAND, Math.floor((2 ** 31 - 1) / Math.max(1, m.ci * m.wMaxAbs)));
  const mem = plan.rt.memory.buffer as ArrayBuffer;
  const xs = new Int16Array(mem, b.patch, T * b.ps);
  for (let t = 0; t < T; t++) {
    const src = t * m.ci;
    const dst = t * b.ps;
    for (let i = 0; i < m.ci; i++) {
      const v = x[src + i];
      if (v > xLimit || v < -xLimit) return null;
      xs[dst + i] = v;
    }
  }
  const { layout, at } = m.simdLayout();
  plan.mm.dense(b.patch, at!, b.y32, T, layout.pairs, layout.coPad);
  const y = new Int32Array(mem, b.y32, T * layout.coPad);
  const out = plan.stream[0];
  const half = 2 ** (w.shift - 1);
  const div = 2 ** w.shift;
  const [aLo, aHi] = acc;
  const [oLo, oHi] = of;
  for (let t = 0; t < T; t++)
    for (let c = 0; c < C; c++) {
      const i = t * C + c;
      let a = (y[t * layout.coPad + c] + w.bias2d[i]) | 0; // the reference adds into an Int32Array
      if (a < aLo || a > aHi) return null;
      if (t === 0) a = w.cls[c] | 0; // token 0's MAC is replaced by the CLS vector
      const v = Math.floor((a + half) / div);
      if (v < oLo || v > oHi) return null;
      out[i] = v;
    }
  return out;
}
