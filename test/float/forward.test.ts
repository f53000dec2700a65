import assert from 'node:assert/strict';
import { test } from 'node:test';
import { erf, floatRunner, gelu } from '../../src/float/index.ts';
import { randomInput, referenceForward, tinyModel } from '../onnx/reference-forward.ts';

test('erf and GELU to 1e-15 against known values', () => {
  const known: [number, number][] = [
    [0, 0],
    [0.1, 0.1124629160182849],
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [2, 0.9953222650189527],
    [2.9999, 0.9999778955735178],
    [3, 0.9999779095030014],
    [4, 0.9999999845827421],
    [5.5, 0.9999999999999927],
    [7, 1],
  ];
  for (const [x, want] of known) {
    assert.ok(Math.abs(erf(x) - want) < 1e-15, `erf(${x}) = ${erf(x)}, want ${want}`);
    assert.ok(Math.abs(erf(-x) + want) < 1e-15, `erf(${-x})`);
  }
  assert.ok(Math.abs(gelu(1) - 0.8413447460685429) < 1e-15);
  assert.ok(Math.abs(gelu(-3) - -0.00404969409489031) < 1e-15);
});

test('the float forward equals an obviously correct loop implementation (pre/post-norm, ReLU/GELU, with and without head norm)', () => {
  for (const opts of [
    { norm: 'post', activation: 'relu', headNorm: true, seed: 1 },
    { norm: 'pre', activation: 'gelu', headNorm: true, seed: 2 },
    { norm: 'pre', activation: 'relu', headNorm: false, seed: 3 },
    { norm: 'post', activation: 'gelu', headNorm: false, seed: 4 },
  ] as const) {
    const model = tinyModel(opts);
    const runner = floatRunner(model);
    const input = randomInput(model, 3, 100 + opts.seed);
    const want = referenceForward(model, input, 3);
    const per = input.length / 3;
    for (let n = 0; n < 3; n++) {
      const got = runner.forward(Float64Array.from(input.subarray(n * per, (n + 1) * per)));
      for (let k = 0; k < want[n].length; k++) assert.ok(Math.abs(got[k] - want[n][k]) < 1e-10, `${model.manifest.name}: image ${n} logit ${k}: ${got[k]} vs ${want[n][k]}`);
    }
  }
});
