import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bitsNeeded, floorShift, wrapToType } from '../../src/num/index.ts';
import {
  hardwareArith,
  IDEAL,
  layerNormQuant,
  matmulLanes,
  matmulPacked,
  simdRuntime,
  matmulReference,
  PackedWeights,
  residualMerge,
  softmaxQuant,
  tableRequant,
  WrapLog,
} from '../../src/ops/index.ts';

/** Deterministic pseudo-random integers in [lo, hi] (xorshift32). */
function randomInts(n: number, lo: number, hi: number, seed: number): Int32Array {
  const out = new Int32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = lo + ((s >>> 0) % (hi - lo + 1));
  }
  return out;
}

describe('integer primitives', () => {
  test('floorShift is an arithmetic shift beyond 32 bits', () => {
    assert.equal(floorShift(-1, 4), -1);
    assert.equal(floorShift(-17, 4), -2);
    assert.equal(floorShift(2 ** 43 + 5, 31), 2 ** 12);
    assert.equal(floorShift(-(2 ** 40) - 1, 8), -(2 ** 32) - 1);
  });
  test('wrapToType is two’s-complement truncation', () => {
    assert.equal(wrapToType(135, { signed: true, bits: 8 }), -121);
    assert.equal(wrapToType(-129, { signed: true, bits: 8 }), 127);
    assert.equal(wrapToType(-1, { signed: false, bits: 7 }), 127);
    assert.equal(wrapToType(2 ** 40 + 3, { signed: false, bits: 4 }), 3);
    // exhaustive at small widths against a bit-level definition
    for (let bits = 1; bits <= 6; bits++)
      for (let v = -200; v <= 200; v++) {
        const low = ((v % 2 ** bits) + 2 ** bits) % 2 ** bits;
        assert.equal(wrapToType(v, { signed: false, bits }), low);
        assert.equal(wrapToType(v, { signed: true, bits }), low >= 2 ** (bits - 1) ? low - 2 ** bits : low);
      }
  });
  test('bitsNeeded reports the narrowest type', () => {
    assert.equal(bitsNeeded(135, true), 9);
    assert.equal(bitsNeeded(-128, true), 8);
    assert.equal(bitsNeeded(255, false), 8);
  });
});

describe('table requantizer', () => {
  const table = Int32Array.from({ length: 64 }, (_, i) => (i >> 3) - 4);
  test('cursor = (x + b) >> s, clamped to [0, bound]', () => {
    const x = Int32Array.from([-1000, -9, -8, 0, 7, 8, 500, 1000]);
    const y = tableRequant(x, { b: 8, s: 2, bound: 63, table }, IDEAL, '__qq_cursor_t', 'q');
    const expect = Array.from(x, (v) => table[Math.min(63, Math.max(0, Math.floor((v + 8) / 4)))]);
    assert.deepEqual(Array.from(y), expect);
  });
  test('hardware mode wraps the cursor before the clamp and records it', () => {
    const log = new WrapLog();
    const arith = hardwareArith('ATTN2', { __kq_cursor_t: { signed: true, bits: 8 } }, log);
    const y = tableRequant(Int32Array.from([103, 10]), { b: 32, s: 0, bound: 63, table }, arith, '__kq_cursor_t', 'k_quant');
    assert.equal(y[0], table[0]); // 135 wraps to −121, clamps to 0
    assert.equal(y[1], table[42]);
    assert.equal(log.total, 1);
    assert.deepEqual(log.events, [{ block: 'ATTN2', operator: 'k_quant', field: '__kq_cursor_t', element: 0, value: 135, wrapped: -121, type: 's8' }]);
  });
});

describe('matmul kernels', () => {
  for (const [name, ci, co, xr, wr] of [
    ['3-bit × 3-bit, K=192', 192, 96, 4, 4],
    ['u3 × 3-bit, K=768', 768, 40, 7, 4],
    ['8-bit × 8-bit, K=768', 768, 24, 128, 128],
    ['wide (1-lane fallback)', 64, 9, 2 ** 20, 2 ** 10],
    ['co not a multiple of the lanes', 50, 7, 4, 4],
  ] as const) {
    test(`packed kernel equals the reference: ${name}`, () => {
      const rows = 5;
      const x = randomInts(rows * ci, name.startsWith('u3') ? 0 : -xr, xr - 1, ci + co);
      for (let i = 0; i < x.length; i += 3) x[i] = 0; // exercise zero skipping
      const w = randomInts(co * ci, -wr, wr - 1, co * 7 + 1);
      const bias = randomInts(co, -1000, 1000, 99);
      const expected = matmulReference(x, rows, ci, w, co, bias);
      assert.deepEqual(matmulPacked(x, rows, new PackedWeights(w, co, ci), bias), expected);
      assert.deepEqual(matmulLanes(x, rows, new PackedWeights(w, co, ci), bias), expected);
      assert.deepEqual(matmulPacked(x, rows, new PackedWeights(w, co, ci, { transient: true }), bias), expected);
    });
  }
  test('the WebAssembly SIMD kernel is available on this Node', () => {
    assert.ok(simdRuntime(), 'WebAssembly SIMD missing: the engine falls back to the slower float-lane kernel');
  });
  test('packed kernel stays exact at the extreme values of every lane', () => {
    const ci = 192, co = 8;
    const x = new Int32Array(ci).fill(-4);
    const w = new Int32Array(co * ci).map((_, i) => (i % 2 ? -4 : 3));
    assert.deepEqual(matmulPacked(x, 1, new PackedWeights(w, co, ci)), matmulReference(x, 1, ci, w, co));
    assert.deepEqual(matmulLanes(x, 1, new PackedWeights(w, co, ci)), matmulReference(x, 1, ci, w, co));
  });
});

describe('layernorm + quant', () => {
  test('matches a direct transcription of SPEC §1.3', () => {
    const C = 16;
    const x = randomInts(3 * C, -2000, 2000, 5);
    const p = {
      c1m: 4096, c1s: 16, b: -5000, s1: 12, bound: 15, s2: 20, clampBits: 3,
      lnw: Float64Array.from(randomInts(C, -3000, 60000, 6)),
      lnb: Float64Array.from(randomInts(C, -(2 ** 30), 2 ** 30, 7)),
      rsqrt: Float64Array.from({ length: 16 }, (_, i) => 4000 - 200 * i),
    };
    const y = layerNormQuant(x, 3, C, p, IDEAL, '__attn_if_t');
    for (let t = 0; t < 3; t++) {
      const row = Array.from(x.subarray(t * C, (t + 1) * C));
      const mean = Math.floor((row.reduce((a, b) => a + b, 0) * p.c1m + 2 ** 15) / 2 ** 16);
      const diff = row.map((v) => v - mean);
      const v = diff.reduce((a, d) => a + d * d, 0);
      const r = p.rsqrt[Math.min(15, Math.max(0, Math.floor((v + p.b) / 2 ** 12)))];
      diff.forEach((d, c) => {
        const val = Math.floor((d * r * p.lnw[c] + p.lnb[c]) / 2 ** 20);
        assert.equal(y[t * C + c], Math.min(3, Math.max(-4, val)), `t=${t} c=${c}`);
      });
    }
  });
});

describe('softmax + quant', () => {
  const exp = Int32Array.from({ length: 32 }, (_, i) => Math.round(32768 * Math.exp(-i / 4)));
  const recip = (step: number) => Int32Array.from({ length: 64 }, (_, i) => Math.min(255, Math.round((255 * 64) / (i + 1) / step)));
  const p = {
    b1: 8, s1: 4, bound1: 31, b2One: -25242, s2One: 14, bound2One: 63, b3One: 32768, s3One: 16,
    b2Two: -596612, s2Two: 17, bound2Two: 63, b3Two: 524288, s3Two: 20, clampBits: 3,
    exp, recipOne: recip(1), recipTwo: recip(8),
  };
  test('uses reciprocal segment one for small sums and two for large sums', () => {
    const peaked = Int32Array.from({ length: 8 }, (_, i) => (i === 0 ? 400 : -300));
    const flat = new Int32Array(196).fill(10);
    for (const [r, len] of [[peaked, 8], [flat, 196]] as const) {
      const y = softmaxQuant(r, 1, len, p, IDEAL);
      let m = -Infinity;
      r.forEach((v) => (m = Math.max(m, v)));
      const e = Array.from(r, (v) => exp[Math.min(31, Math.max(0, Math.floor((m - v + 8) / 16)))]);
      const A = e.reduce((a, b) => a + b, 0);
      const c1 = Math.floor((A - 25242) / 2 ** 14);
      const two = c1 > 63;
      const rec = two ? p.recipTwo[Math.min(63, Math.max(0, Math.floor((A - 596612) / 2 ** 17)))] : p.recipOne[Math.max(0, c1)];
      const expect = e.map((ev) => Math.min(7, Math.max(0, Math.floor((ev * rec + (two ? 524288 : 32768)) / 2 ** (two ? 20 : 16)))));
      assert.deepEqual(Array.from(y), expect);
      assert.equal(two, len === 196);
    }
  });
});

describe('residual merge', () => {
  test('rescales the skip branch with rounding, beyond 32 bits', () => {
    const x = Int32Array.from([2976, -2673, 0, 1]);
    const main = Int32Array.from([10, -10, 5, 0]);
    const y = residualMerge(main, x, { rm: 986673, rs: 18 }, IDEAL, '__attn_of_t');
    assert.deepEqual(Array.from(y), Array.from(x, (v, i) => main[i] + Math.floor((v * 986673 + 2 ** 17) / 2 ** 18)));
  });
});
