import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeSafetensors } from '../../src/checkpoint/index.ts';
import { infer, inputToCodes } from '../../src/engine/index.ts';
import { floatRunner, imageToInput, readFloatModel, writeFloatModel } from '../../src/float/index.ts';
import { listImages } from '../../src/image/index.ts';
import { importCheckpoint } from '../../src/import/index.ts';
import { quantizeFolder } from '../../src/quant/index.ts';
import { timmDeitTiny } from '../import/timm-fixture.ts';
import { IMAGENET_SAMPLE } from '../shared.ts';

const SKIP = existsSync(IMAGENET_SAMPLE) ? false : `needs ${IMAGENET_SAMPLE} (set VITPIPE_SHARED); skipped`;

test('a pre-norm GELU ViT with DeiT-tiny geometry quantizes at w8a8 (32 photos) with logits close to float', { skip: SKIP }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitpipe-quant-deit-'));
  writeFileSync(join(dir, 'deit.safetensors'), writeSafetensors(timmDeitTiny(11)));
  writeFloatModel(join(dir, 'm'), importCheckpoint(join(dir, 'deit.safetensors'), { heads: 3 }).model);
  const photos = listImages(IMAGENET_SAMPLE);
  const q = await quantizeFolder(join(dir, 'm'), photos.slice(0, 32), { bits: 'w8a8', widthImages: 4 });
  assert.equal(q.manifest.norm, 'pre');
  assert.equal(q.manifest.geometry.tokens, 197);
  assert.equal(q.weights.attention[0].inQuant, undefined, 'pre-norm blocks read their LayerNorm codes');
  const model = readFloatModel(join(dir, 'm'));
  const runner = floatRunner(model);
  for (const photo of [photos[100], photos[600], photos[900]]) {
    const x = await imageToInput(photo, model.manifest.input);
    const f = runner.forward(x);
    const i = infer(q.weights, inputToCodes(x, q.manifest)).logits;
    let dot = 0;
    let ff = 0;
    let ii = 0;
    for (let k = 0; k < f.length; k++) {
      dot += f[k] * i[k];
      ff += f[k] * f[k];
      ii += i[k] * i[k];
    }
    const cosine = dot / Math.sqrt(ff * ii);
    assert.ok(cosine >= 0.99, `${photo}: cosine ${cosine}`);
  }
});
