import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readFloatModel, runFloatBatch, writeFloatModel, imageToInput } from '../../src/float/index.ts';
import { isOrtUnavailable, loadOnnxRuntime } from '../../scripts/ort.ts';
import { importCheckpoint } from '../../src/import/index.ts';
import { CIFAR_CHECKPOINT, CIFAR_DIR, CIFAR_IMPORT_FLAGS, SKIP_NO_CIFAR, vitpipe } from '../shared.ts';

/** The independent float64 implementation's logits: path → { label, logits }. */
function referenceLogits(): Map<string, { label: number; logits: number[] }> {
  const lines = readFileSync(join(CIFAR_DIR, 'float-reference-logits.csv'), 'utf8').trim().split('\n').slice(1);
  return new Map(lines.map((l) => {
    const [path, label, , ...logits] = l.split(',');
    return [path, { label: Number(label), logits: logits.map(Number) }];
  }));
}


describe('the trained CIFAR-10 ViT (nn.TransformerEncoder, post-norm, ReLU)', { skip: SKIP_NO_CIFAR }, () => {
  test('vitpipe import: the acceptance command writes a self-describing folder', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'vitpipe-import-')), 'm');
    const r = vitpipe('import', '--from', CIFAR_CHECKPOINT, ...CIFAR_IMPORT_FLAGS, '--out', out, '--json');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(doc.ignored, []);
    const m = readFloatModel(out).manifest;
    assert.deepEqual(m.geometry, { imageSize: 32, patchSize: 4, inChannels: 3, width: 128, depth: 6, heads: 8, mlpHidden: 256, numClasses: 10, tokens: 65 });
    assert.deepEqual(m.block, { norm: 'post', activation: 'relu', eps: 1e-5 });
    assert.deepEqual(m.head, { norm: true, eps: 1e-5 });
    assert.equal(m.source.family, 'torch-encoder');
    assert.equal(m.source.sha256, '2d061eb158b8ea126c1b96ee657862bf2217696ed40fff3bdc424007d13f1397');
    assert.deepEqual(m.input, { resize: 32, crop: 32, interpolation: 'bicubic', mean: [0.4914, 0.4822, 0.4465], std: [0.2023, 0.1994, 0.201] });
    assert.equal(m.classes[9], 'truck');

    // infer through the CLI: the documented JSON shape, labels from the folder.
    // A photo the float64 reference classifies as airplane (logit 5.339 against 2.752 for bird).
    const inf = vitpipe('infer', '--weights', out, '--image', join(CIFAR_DIR, 'test', 'airplane', 'plane_s_000026.png'), '--json');
    assert.equal(inf.code, 0, inf.stderr);
    const res = JSON.parse(inf.stdout).results[0];
    assert.deepEqual(Object.keys(res.top5[0]).sort(), ['class', 'label', 'logit']);
    assert.equal(res.top5[0].label, 'airplane');
  });

  test('float forward equals the independent float64 logits (every 20th test image)', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'vitpipe-float-')), 'm');
    const { model } = importCheckpoint(CIFAR_CHECKPOINT, { arch: 'torch-encoder', heads: 8, imageSize: 32, mean: [0.4914, 0.4822, 0.4465], std: [0.2023, 0.1994, 0.201] });
    writeFloatModel(dir, model);
    const ref = referenceLogits();
    const paths = [...ref.keys()].filter((_, i) => i % 20 === 0);
    const results = await runFloatBatch(dir, paths.map((p) => join(CIFAR_DIR, 'test', p)), { threads: 2 });
    let maxDiff = 0;
    results.forEach((r, i) => {
      const want = ref.get(paths[i])!.logits;
      for (let c = 0; c < 10; c++) maxDiff = Math.max(maxDiff, Math.abs(r.logits[c] - want[c]));
    });
    // Float64 against float64 (the reference file keeps 7 significant digits): differences are the CSV's rounding.
    assert.ok(maxDiff < 1e-5, `max |Δlogit| ${maxDiff}`);
  });

  test("export-onnx: onnxruntime on the exported file agrees with vitpipe's float logits within 1e-4 on 100 test images", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'vitpipe-onnx-'));
    const m = join(dir, 'm');
    assert.equal(vitpipe('import', '--from', CIFAR_CHECKPOINT, ...CIFAR_IMPORT_FLAGS, '--out', m).code, 0);
    const onnxFile = join(dir, 'm.onnx');
    const r = vitpipe('export-onnx', '--weights', m, '--out', onnxFile, '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).opset, 17);
    const ort = await loadOnnxRuntime({ install: true });
    if (isOrtUnavailable(ort)) return t.skip(`onnxruntime-node unavailable: ${ort.unavailable}`);
    const paths = [...referenceLogits().keys()].filter((_, i) => i % 50 === 7).map((p) => join(CIFAR_DIR, 'test', p));
    assert.equal(paths.length, 100);
    const ours = await runFloatBatch(m, paths, { threads: 2 });
    const session = await ort.InferenceSession.create(readFileSync(onnxFile), { logSeverityLevel: 3 });
    const manifest = readFloatModel(m).manifest;
    let worst = 0;
    try {
      for (let i = 0; i < paths.length; i++) {
        const x = Float32Array.from(await imageToInput(paths[i], manifest.input));
        const got = (await session.run({ input: new ort.Tensor('float32', x, [1, 3, 32, 32]) })).logits.data as Float32Array;
        for (let c = 0; c < 10; c++) worst = Math.max(worst, Math.abs(got[c] - ours[i].logits[c]));
      }
    } finally {
      await session.release();
    }
    assert.ok(worst < 1e-4, `max |onnxruntime − vitpipe| = ${worst}`);
  });
});
