import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matmulKernels, packedWeightLayout } from '../../src/engine/fast/wasm-matmul.ts';
import { prng } from '../../src/num/index.ts';
import { simdWeightLayout } from '../../src/ops/index.ts';

/** y = x·Wᵀ in plain integers: the definition the packed kernel must meet. */
function reference(x: Int32Array, rows: number, ci: number, w: Int32Array, co: number): Int32Array {
  const y = new Int32Array(rows * co);
  for (let t = 0; t < rows; t++)
    for (let o = 0; o < co; o++) {
      let s = 0;
      for (let i = 0; i < ci; i++) s += x[t * ci + i] * w[o * ci + i];
      y[t * co + o] = s;
    }
  return y;
}

/** Runs the packed kernel on x [rows][ci] and W [co][ci] (co a multiple of 32) with chunks of `chunk` pairs. */
function packedMatmul(x: Int32Array, rows: number, ci: number, w: Int32Array, co: number, chunk: number): Int32Array {
  const memory = new WebAssembly.Memory({ initial: 64 });
  const mm = matmulKernels(memory);
  const { data, pairs, coPad } = simdWeightLayout(w, co, ci);
  const packed = packedWeightLayout(data, pairs, coPad);
  const xAt = 0;
  const wAt = rows * pairs * 4;
  const yAt = wAt + packed.byteLength + 16 - (packed.byteLength % 16);
  const xs = new Int16Array(memory.buffer, xAt, rows * pairs * 2);
  for (let t = 0; t < rows; t++) for (let i = 0; i < ci; i++) xs[t * pairs * 2 + i] = x[t * ci + i];
  new Int16Array(memory.buffer, wAt, packed.length).set(packed);
  mm.packed(xAt, wAt, yAt, rows, pairs, coPad / 2, chunk);
  const y = new Int32Array(memory.buffer, yAt, rows * coPad);
  const out = new Int32Array(rows * co);
  for (let t = 0; t < rows; t++) out.set(y.subarray(t * coPad, t * coPad + co), t * co);
  return out;
}

test('the packed matmul kernel equals plain integer products, with chunk sums at the ±2047 limit', () => {
  const rand = prng(7);
  const pick = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  for (const [rows, ci, co, xLo, xHi, wMax] of [[4, 192, 64, -4, 3, 4], [6, 50, 32, 0, 7, 4], [2, 768, 96, 0, 7, 7], [8, 7, 32, -4, 3, 4]]) {
    const chunk = Math.floor(2047 / (2 * Math.max(-xLo, xHi) * wMax));
    const x = Int32Array.from({ length: rows * ci }, () => pick(xLo, xHi));
    const w = Int32Array.from({ length: co * ci }, () => pick(-wMax, wMax));
    assert.deepEqual(packedMatmul(x, rows, ci, w, co, chunk), reference(x, rows, ci, w, co), `random ${rows}×${ci}·${ci}×${co}`);
    // Worst case: every product of a chunk at the bound with one sign, in both columns of every packed operand.
    const xe = new Int32Array(rows * ci).fill(xLo < 0 ? xLo : xHi);
    const we = new Int32Array(co * ci).map((_, i) => ((i / ci) & 1 ? wMax : -wMax) * (xLo < 0 ? -1 : 1));
    assert.deepEqual(packedMatmul(xe, rows, ci, we, co, chunk), reference(xe, rows, ci, we, co), `extremes ${rows}×${ci}·${ci}×${co}`);
  }
});
