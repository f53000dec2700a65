import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { exportOnnx } from '../../src/onnx/index.ts';
import { isOrtUnavailable, loadOnnxRuntime, type OnnxRuntime } from '../../scripts/ort.ts';
import { randomInput, referenceForward, tinyModel, type TinyOptions } from './reference-forward.ts';

// onnxruntime-node is not a dependency: it is installed on demand into .cache/onnxruntime (scripts/ort.ts).
const ort = loadOnnxRuntime({ install: true });

const TOLERANCE = 1e-4;

const VARIANTS: TinyOptions[] = [
  { norm: 'post', activation: 'relu', headNorm: true, seed: 21 },
  { norm: 'pre', activation: 'gelu', headNorm: true, seed: 22 },
  { norm: 'pre', activation: 'relu', headNorm: false, seed: 23 },
];

async function maxDiff(rt: OnnxRuntime, opts: TinyOptions, opset: number, optimisation: 'disabled' | 'all', batch: number): Promise<number> {
  const model = tinyModel(opts);
  const { inChannels: C, imageSize: S, numClasses: K } = model.manifest.geometry;
  const session = await rt.InferenceSession.create(exportOnnx(model, { opset }), { graphOptimizationLevel: optimisation, logSeverityLevel: 3 });
  try {
    assert.deepEqual(session.inputNames, ['input']);
    assert.deepEqual(session.outputNames, ['logits']);
    let worst = 0;
    for (let trial = 0; trial < 3; trial++) {
      const input = randomInput(model, batch, 1000 * opts.seed + 10 * batch + trial);
      const out = (await session.run({ input: new rt.Tensor('float32', input, [batch, C, S, S]) })).logits;
      assert.deepEqual(Array.from(out.dims), [batch, K]);
      const got = out.data as Float32Array;
      const want = referenceForward(model, input, batch);
      for (let n = 0; n < batch; n++)
        for (let k = 0; k < K; k++) {
          const d = Math.abs(got[n * K + k] - want[n][k]);
          assert.ok(Number.isFinite(got[n * K + k]), `logit ${n},${k} is ${got[n * K + k]}`);
          worst = Math.max(worst, d);
        }
      // The logits are not trivially small: a broken graph could not pass by accident.
      assert.ok(Math.max(...want.flat().map(Math.abs)) > 0.1);
    }
    return worst;
  } finally {
    await session.release();
  }
}

for (const v of VARIANTS) {
  test(`onnxruntime matches the float64 reference: ${v.norm}-norm ${v.activation}${v.headNorm ? ' + head norm' : ''}`, async (t) => {
    const rt = await ort;
    if (isOrtUnavailable(rt)) {
      t.skip(`onnxruntime-node unavailable: ${rt.unavailable}`);
      return;
    }
    let worst = 0;
    for (const optimisation of ['disabled', 'all'] as const)
      for (const batch of [1, 4]) {
        const d = await maxDiff(rt, v, 17, optimisation, batch);
        assert.ok(d <= TOLERANCE, `max |ORT − reference| = ${d} (optimisation ${optimisation}, batch ${batch})`);
        worst = Math.max(worst, d);
      }
    t.diagnostic(`max abs difference ${worst.toExponential(2)}`);
  });
}

test('onnxruntime runs the later opsets the exporter offers', async (t) => {
  const rt = await ort;
  if (isOrtUnavailable(rt)) {
    t.skip(`onnxruntime-node unavailable: ${rt.unavailable}`);
    return;
  }
  let worst = 0;
  for (const opset of [18, 19, 20, 21, 22]) {
    const d = await maxDiff(rt, VARIANTS[1], opset, 'all', 2);
    assert.ok(d <= TOLERANCE, `opset ${opset}: max |ORT − reference| = ${d}`);
    worst = Math.max(worst, d);
  }
  t.diagnostic(`max abs difference ${worst.toExponential(2)}`);
});
