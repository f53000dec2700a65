import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import {
  centerCropOffset,
  cropToPatches,
  imageToPatches,
  patchRows,
  quantTable,
  resizedSize,
  roundHalfEven,
  type RawImage,
} from '../../src/image/index.ts';
import { MODEL_ZOO } from '../../src/model/index.ts';

const shared = resolve(process.cwd(), process.env.VITPIPE_SHARED ?? '../shared');
const goldens = resolve(shared, 'hgpipe/extra-goldens');
const sample = resolve(shared, 'imagenet-sample');
const noShared = existsSync(goldens) && existsSync(sample) ? false : `shared data not found at ${shared} (set VITPIPE_SHARED)`;

const readInts = (file: string): number[] =>
  readFileSync(file, 'utf8')
    .split(',')
    .filter((s) => s.trim() !== '')
    .map(Number);

for (const photo of ['n01443537_goldfish', 'n03000134_chainlink_fence']) {
  test(`${photo}: patches equal the independent PIL-bicubic golden element for element`, { skip: noShared }, async () => {
    const golden = readInts(resolve(goldens, photo, 'patch_embed_input.txt'));
    const mine = await imageToPatches(resolve(sample, `${photo}.JPEG`));
    assert.equal(mine.length, 196 * 768);
    assert.equal(golden.length, mine.length);
    let equal = 0;
    for (let i = 0; i < mine.length; i++) if (mine[i] === golden[i]) equal++;
    assert.equal(equal, mine.length, `${equal} of ${mine.length} elements match`);
  });
}

test('197-token layout: row 0 is a zero placeholder, row r = patch r−1 for all 196 patches', { skip: noShared }, async () => {
  const file = resolve(sample, 'n01443537_goldfish.JPEG');
  const hg = await imageToPatches(file);
  const deit = await imageToPatches(file, MODEL_ZOO['deit-tiny']);
  assert.equal(deit.length, 197 * 768);
  assert.ok(deit.subarray(0, 768).every((v) => v === 0));
  assert.deepEqual(deit.subarray(768, 196 * 768), hg.subarray(768)); // patches 0..194
  assert.deepEqual(deit.subarray(196 * 768), hg.subarray(0, 768)); // patch 195
});

test('row order: HG-PIPE puts patch 195 in row 0; DeiT shifts every patch down one row', () => {
  const hg = patchRows(196, 196);
  assert.equal(hg[0], 1);
  assert.equal(hg[194], 195);
  assert.equal(hg[195], 0);
  const deit = patchRows(196, 197);
  assert.deepEqual(Array.from(deit), Array.from({ length: 196 }, (_, p) => p + 1));
});

test('resize and crop geometry follow torchvision (int() long side, banker-rounded crop offset)', () => {
  assert.deepEqual(resizedSize(376, 263, 256), { width: 365, height: 256 });
  assert.deepEqual(resizedSize(320, 427, 256), { width: 256, height: 341 });
  assert.deepEqual(resizedSize(256, 256, 256), { width: 256, height: 256 });
  assert.equal(centerCropOffset(365, 224), 70); // 70.5 → 70 (ties to even)
  assert.equal(centerCropOffset(367, 224), 72); // 71.5 → 72
  assert.equal(centerCropOffset(256, 224), 16);
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6].map(roundHalfEven), [0, 2, 2, -0, -2, -2, 2, -3]);
});

test('quantisation: one scale 2.64/127 for all channels, clamped to int8', () => {
  const t = quantTable(8);
  assert.equal(t[2 * 256 + 255], 127); // blue at 255 is the largest normalised value, 2.64
  assert.equal(t[0 * 256 + 0], -102); // red at 0: −0.485/0.229/s = −101.9
  assert.equal(t[1 * 256 + 0], -98); // green at 0: −0.456/0.224/s = −97.9
  assert.equal(t[0 * 256 + 124], 0); // red 124: (124/255 − 0.485)/0.229 ≈ 0.0057 → 0
  for (let i = 1; i < 256; i++) for (let c = 0; c < 3; c++) assert.ok(t[c * 256 + i] >= t[c * 256 + i - 1]);
  for (const v of t) assert.ok(v >= -128 && v <= 127);
});

test('patch layout is (channel, kh, kw) within a patch, patches row by row', () => {
  const cfg = MODEL_ZOO['hgpipe-deit-tiny'];
  const data = new Uint8Array(224 * 224 * 3);
  for (let y = 0; y < 224; y++) for (let x = 0; x < 224; x++) for (let c = 0; c < 3; c++) data[(y * 224 + x) * 3 + c] = (x * 7 + y * 3 + c * 100) & 255;
  const crop: RawImage = { data, width: 224, height: 224, channels: 3 };
  const out = cropToPatches(crop, cfg);
  const t = quantTable(8);
  for (const [p, c, kh, kw] of [[0, 0, 0, 0], [1, 2, 15, 3], [14, 1, 4, 9], [100, 0, 15, 15], [195, 2, 7, 1]]) {
    const row = (p + 1) % 196;
    const y = Math.floor(p / 14) * 16 + kh;
    const x = (p % 14) * 16 + kw;
    assert.equal(out[row * 768 + c * 256 + kh * 16 + kw], t[c * 256 + data[(y * 224 + x) * 3 + c]], `patch ${p} c${c} ${kh},${kw}`);
  }
});
