import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IDEAL, layerNormQuant, residualMerge, softmaxQuant, tableRequant } from '../../src/ops/index.ts';
import { activationCodes, activationTable, layerNormTable, requantTable, residualTable, softmaxTable } from '../../src/quant/tables.ts';
import { prng } from '../onnx/reference-forward.ts';

/** The built tables, run through HG-PIPE's own integer operators, against the float functions they stand for. */

test('requantizer table: within one output step of round(x·accStep/outStep), clamped', () => {
  for (const bits of [3, 4, 8]) {
    const accScale = 0.0007;
    const outScale = 0.05;
    const t = requantTable(accScale, outScale, bits);
    const hi = 2 ** (bits - 1) - 1;
    const x = Int32Array.from({ length: 4001 }, (_, i) => Math.round(((i - 2000) / 2000) * 1.5 * ((hi + 1) * outScale) / accScale));
    const y = tableRequant(x, t, IDEAL, '__qq_cursor_t', 'q_quant');
    for (let i = 0; i < x.length; i++) {
      const want = Math.max(-hi - 1, Math.min(hi, Math.round((x[i] * accScale) / outScale)));
      assert.ok(Math.abs(y[i] - want) <= 1, `bits ${bits}: x ${x[i]} → ${y[i]}, want ${want}`);
    }
    assert.ok(t.bound + 1 <= Math.min(1024, 2 ** (bits + 3)));
  }
});

test('activation table: ReLU and GELU codes with a zero point', () => {
  const rand = prng(3);
  const values = Float64Array.from({ length: 5000 }, () => 6 * rand() - 3);
  const gelu = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
  const acts = values.map(gelu);
  const codes = activationCodes(acts, Math.min(...acts), Math.max(...acts), 8);
  assert.ok(codes.zero > 0, 'GELU dips below zero: a zero point is needed');
  const accScale = 0.001;
  const t = activationTable(accScale, gelu, codes, 8, -8, 3);
  const x = Int32Array.from(values, (v) => Math.round(v / accScale));
  const y = tableRequant(x, t, IDEAL, '__gelu_cursor_t', 'gelu');
  let worst = 0;
  const top = (255 - codes.zero) * codes.scale; // above it the codes saturate (the clipping chosen by MSE)
  for (let i = 0; i < x.length; i++) {
    const want = gelu(x[i] * accScale);
    if (want <= top) worst = Math.max(worst, Math.abs((y[i] - codes.zero) * codes.scale - want));
    else assert.equal(y[i], 255);
  }
  assert.ok(worst <= 0.75 * codes.scale, `worst ${worst} vs step ${codes.scale}`);
});

test('softmax table: probabilities within two output steps of the float softmax', () => {
  const rand = prng(9);
  for (const [tokens, headDim, bits] of [[65, 16, 8], [197, 64, 8], [65, 16, 3]] as const) {
    const scoreScale = 0.002;
    const probScale = 0.9 / (2 ** bits - 1);
    const p = softmaxTable(scoreScale, headDim, tokens, probScale, bits);
    const rows = 20;
    const r = Int32Array.from({ length: rows * tokens }, () => Math.round((rand() * 12 - 6) * Math.sqrt(headDim) / scoreScale * (rand() < 0.5 ? 0.2 : 1)));
    const q = softmaxQuant(r, rows, tokens, p, IDEAL);
    let worst = 0;
    for (let row = 0; row < rows; row++) {
      const s = Array.from(r.subarray(row * tokens, (row + 1) * tokens), (v) => (v * scoreScale) / Math.sqrt(headDim));
      const m = Math.max(...s);
      const e = s.map((v) => Math.exp(v - m));
      const sum = e.reduce((a, b) => a + b, 0);
      for (let k = 0; k < tokens; k++) {
        const want = Math.min(2 ** bits - 1, e[k] / sum / probScale);
        worst = Math.max(worst, Math.abs(q[row * tokens + k] - want));
      }
    }
    assert.ok(worst <= 2, `tokens ${tokens}, bits ${bits}: worst error ${worst} output steps`);
  }
});

test('LayerNorm table: within two output steps of the float LayerNorm, for wide and narrow inputs', () => {
  const rand = prng(5);
  const C = 128;
  const gamma = Float32Array.from({ length: C }, () => 0.5 + rand());
  const beta = Float32Array.from({ length: C }, () => rand() - 0.5);
  // The integer mean rounds to the input step (SPEC §1.3): inputs coded much finer than their spread, as the
  // quantizer's LayerNorm inputs are (accumulator steps, or 8-bit codes of unit-variance rows).
  for (const inScale of [1e-4, 0.01]) {
    const rows = 30;
    const x = new Int32Array(rows * C);
    let vMin = Infinity;
    let vMax = 0;
    let maxAbs = 0;
    for (let r = 0; r < rows; r++) {
      const spread = 1 + 3 * rand();
      let mean = 0;
      for (let c = 0; c < C; c++) mean += (x[r * C + c] = Math.round(((rand() * 2 - 1) * spread + 0.3) / inScale));
      mean /= C;
      let v = 0;
      for (let c = 0; c < C; c++) v += (x[r * C + c] - mean) ** 2;
      vMin = Math.min(vMin, v);
      vMax = Math.max(vMax, v);
      for (let c = 0; c < C; c++) maxAbs = Math.max(maxAbs, Math.abs(x[r * C + c] * inScale));
    }
    const outScale = 4 / 127;
    const p = layerNormTable(gamma, beta, 1e-5, inScale, outScale, 8, 0.9 * vMin, 1.5 * vMax, (2 * maxAbs) / inScale);
    const y = layerNormQuant(x, rows, C, p, IDEAL, '__attn_if_t');
    let worst = 0;
    for (let r = 0; r < rows; r++) {
      const row = Array.from(x.subarray(r * C, (r + 1) * C), (v) => v * inScale);
      const mean = row.reduce((a, b) => a + b, 0) / C;
      const sd = Math.sqrt(row.reduce((a, b) => a + (b - mean) ** 2, 0) / C + 1e-5);
      for (let c = 0; c < C; c++) {
        const want = Math.max(-128, Math.min(127, (((row[c] - mean) / sd) * gamma[c] + beta[c]) / outScale));
        worst = Math.max(worst, Math.abs(y[r * C + c] - want));
      }
    }
    assert.ok(worst <= 2, `input step ${inScale}: worst error ${worst} output steps`);
  }
});

test('residual rescale: x·RM >> RS equals x·ratio to within rounding', () => {
  for (const ratio of [0.001, 0.37, 1, 25.5, 3e3]) {
    const p = residualTable(ratio, 1);
    const x = Int32Array.from({ length: 200 }, (_, i) => (i - 100) * 97);
    const y = residualMerge(new Int32Array(200), x, p, IDEAL, '__attn_of_t');
    for (let i = 0; i < x.length; i++) assert.ok(Math.abs(y[i] - x[i] * ratio) <= 0.5 + Math.abs(x[i] * ratio) * 2e-6, `ratio ${ratio}: ${x[i]} → ${y[i]}`);
  }
});
