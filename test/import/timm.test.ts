import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeSafetensors } from '../../src/checkpoint/index.ts';
import { floatRunner, readFloatModel, rgbToInput, writeFloatModel } from '../../src/float/index.ts';
import { importCheckpoint } from '../../src/import/index.ts';
import { exportOnnx } from '../../src/onnx/index.ts';
import { isOrtUnavailable, loadOnnxRuntime } from '../../scripts/ort.ts';
import { prng } from '../onnx/reference-forward.ts';
import { timmDeitTiny } from './timm-fixture.ts';

/** A random photo, 256×300 RGB, through the folder's own input pipeline (resize 256 bicubic, crop 224). */
function randomPhotoInput(seed: number, input: Parameters<typeof rgbToInput>[1]): Float64Array {
  const rand = prng(seed);
  const width = 300;
  const height = 256;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(256 * rand());
  return rgbToInput({ data, width, height, channels: 3 }, input);
}

test('a timm pre-norm GELU ViT with DeiT-tiny geometry, from safetensors: imports, runs float, equals onnxruntime on its export', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vitpipe-timm-'));
  const file = join(dir, 'deit_tiny_random.safetensors');
  writeFileSync(file, writeSafetensors(timmDeitTiny(7)));
  const { model, ignored, format } = importCheckpoint(file, { heads: 3 });
  assert.equal(format, 'safetensors');
  assert.deepEqual(ignored, []);
  const m = model.manifest;
  assert.equal(m.source.family, 'timm-vit');
  assert.deepEqual(m.geometry, { imageSize: 224, patchSize: 16, inChannels: 3, width: 192, depth: 12, heads: 3, mlpHidden: 768, numClasses: 1000, tokens: 197 });
  assert.deepEqual(m.block, { norm: 'pre', activation: 'gelu', eps: 1e-6 });
  assert.deepEqual(m.head, { norm: true, eps: 1e-6 });
  assert.deepEqual({ resize: m.input.resize, crop: m.input.crop, interpolation: m.input.interpolation }, { resize: 256, crop: 224, interpolation: 'bicubic' });

  // Through the folder on disk, as the CLI does.
  writeFloatModel(join(dir, 'm'), model);
  const folder = readFloatModel(join(dir, 'm'));
  const runner = floatRunner(folder);
  const inputs = [randomPhotoInput(1, m.input), randomPhotoInput(2, m.input)];
  const logits = inputs.map((x) => runner.forward(x));
  assert.ok(logits.every((l) => l.length === 1000 && l.every(Number.isFinite)));
  assert.ok(Math.max(...logits[0].map(Math.abs)) > 0.1, 'logits are not trivially small');

  const ort = await loadOnnxRuntime({ install: true });
  if (isOrtUnavailable(ort)) return t.skip(`onnxruntime-node unavailable: ${ort.unavailable}`);
  const session = await ort.InferenceSession.create(exportOnnx(folder), { logSeverityLevel: 3 });
  try {
    const batch = new Float32Array(2 * inputs[0].length);
    inputs.forEach((x, i) => batch.set(x, i * x.length));
    const out = (await session.run({ input: new ort.Tensor('float32', batch, [2, 3, 224, 224]) })).logits.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < 2; i++) for (let k = 0; k < 1000; k++) worst = Math.max(worst, Math.abs(out[i * 1000 + k] - logits[i][k]));
    assert.ok(worst < 1e-4, `max |onnxruntime − vitpipe| = ${worst}`);
  } finally {
    await session.release();
  }
});
