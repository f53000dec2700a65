import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { isVitpipeError } from '../../src/diag/index.ts';
import { IMAGENET_CLASSES, classOfFile, decodeRgb, labelOfClass, listImages } from '../../src/image/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'vitpipe-image-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const rgbPixels = (w: number, h: number) => Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 29) & 255);

test('greyscale PNG decodes to R = G = B', async () => {
  const grey = Uint8Array.from({ length: 6 * 4 }, (_, i) => i * 10);
  const file = join(dir, 'grey.png');
  await sharp(grey, { raw: { width: 6, height: 4, channels: 1 } }).png().toFile(file);
  const img = await decodeRgb(file);
  assert.equal(img.channels, 3);
  for (let i = 0; i < grey.length; i++) assert.deepEqual(Array.from(img.data.subarray(3 * i, 3 * i + 3)), [grey[i], grey[i], grey[i]]);
});

test('alpha is dropped, not composited (Pillow convert("RGB"))', async () => {
  const rgba = Uint8Array.from([10, 20, 30, 0, 200, 100, 50, 128, 1, 2, 3, 255]);
  const file = join(dir, 'rgba.png');
  await sharp(rgba, { raw: { width: 3, height: 1, channels: 4 } }).png().toFile(file);
  const img = await decodeRgb(file);
  assert.deepEqual(Array.from(img.data), [10, 20, 30, 200, 100, 50, 1, 2, 3]);
});

test('EXIF orientation is ignored (Pillow does not auto-rotate)', async () => {
  const file = join(dir, 'rotated.jpg');
  await sharp(rgbPixels(40, 24), { raw: { width: 40, height: 24, channels: 3 } })
    .jpeg({ quality: 95 })
    .withMetadata({ orientation: 6 })
    .toFile(file);
  assert.equal((await sharp(file).metadata()).orientation, 6);
  const img = await decodeRgb(file);
  assert.deepEqual([img.width, img.height], [40, 24]);
});

test("CMYK JPEG uses Pillow's naive conversion, not a colour-managed one", async () => {
  const file = join(dir, 'cmyk.jpg');
  await sharp(rgbPixels(16, 16), { raw: { width: 16, height: 16, channels: 3 } }).toColourspace('cmyk').jpeg().toFile(file);
  const cmyk = await sharp(file).pipelineColourspace('cmyk').toColourspace('cmyk').raw().toBuffer();
  const img = await decodeRgb(file);
  for (let i = 0; i < 256; i++) {
    const nk = 255 - cmyk[4 * i + 3];
    for (let c = 0; c < 3; c++) {
      const t = cmyk[4 * i + c] * nk + 128;
      assert.equal(img.data[3 * i + c], Math.max(0, nk - (((t >> 8) + t) >> 8)), `pixel ${i} channel ${c}`);
    }
  }
});

test('16-bit greyscale saturates at 255 like Pillow', async () => {
  const words = Uint16Array.from([0, 100, 255, 256, 1000, 65535]);
  const file = join(dir, 'grey16.png');
  await sharp(words, { raw: { width: 6, height: 1, channels: 1 } })
    .toColourspace('grey16')
    .png()
    .toFile(file);
  const img = await decodeRgb(file);
  assert.deepEqual(Array.from(img.data.filter((_, i) => i % 3 === 0)), [0, 100, 255, 255, 255, 255]);
});

test('listImages: folders sorted and filtered, files kept in order, clear errors', async () => {
  const folder = join(dir, 'photos');
  mkdirSync(folder);
  const px = sharp(rgbPixels(4, 4), { raw: { width: 4, height: 4, channels: 3 } });
  for (const n of ['b.JPEG', 'a.png', 'c.jpg']) await px.clone().toFormat(n.endsWith('png') ? 'png' : 'jpeg').toFile(join(folder, n));
  writeFileSync(join(folder, 'notes.txt'), 'not an image');
  assert.deepEqual(listImages(folder), ['a.png', 'b.JPEG', 'c.jpg'].map((n) => join(folder, n)));
  assert.deepEqual(listImages([join(folder, 'c.jpg'), folder]).length, 4);
  // Sub-folders (one per class, as CIFAR's) are searched too, in path order.
  mkdirSync(join(folder, 'b-class'));
  await px.clone().png().toFile(join(folder, 'b-class', 'x.png'));
  assert.deepEqual(listImages(folder), ['a.png', 'b-class/x.png', 'b.JPEG', 'c.jpg'].map((n) => join(folder, n)));

  const expectError = (arg: string | string[], code: string, path: string) => {
    try {
      listImages(arg);
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(isVitpipeError(e), String(e));
      assert.equal(e.diagnostic.code, code);
      assert.ok(e.message.includes(path), e.message);
    }
  };
  expectError(join(dir, 'missing.jpg'), 'IO_ERROR', 'missing.jpg');
  expectError(join(folder, 'notes.txt'), 'BAD_IMAGE', 'notes.txt');
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  expectError(empty, 'BAD_IMAGE', 'empty');
  writeFileSync(join(dir, 'fake.jpg'), 'plain text');
  await assert.rejects(decodeRgb(join(dir, 'fake.jpg')), (e: unknown) => isVitpipeError(e) && e.message.includes('fake.jpg'));
});

test('ImageNet labels: 1000 sorted WordNet ids, label = rank, names from the file-name convention', () => {
  assert.equal(IMAGENET_CLASSES.length, 1000);
  assert.equal(new Set(IMAGENET_CLASSES.map((c) => c.wnid)).size, 1000);
  assert.equal(classOfFile('n01440764_tench.JPEG'), 0);
  assert.equal(classOfFile('/some/dir/n01443537_goldfish.JPEG'), 1);
  assert.equal(labelOfClass(1), 'goldfish');
  assert.equal(labelOfClass(classOfFile('n15075141_toilet_tissue.JPEG')!), 'toilet tissue');
  assert.equal(classOfFile('n99999999_nothing.jpg'), undefined);
  assert.equal(classOfFile('holiday.jpg'), undefined);
  assert.throws(() => labelOfClass(1000), (e: unknown) => isVitpipeError(e));
});

const sample = resolve(process.cwd(), process.env.VITPIPE_SHARED ?? '../shared', 'imagenet-sample');
test('every imagenet-sample photo maps to a distinct label equal to its rank', { skip: existsSync(sample) ? false : `no ${sample}` }, () => {
  const files = readdirSync(sample).sort();
  assert.equal(files.length, 1000);
  files.forEach((f, i) => {
    assert.equal(classOfFile(f), i, f);
    assert.equal(labelOfClass(i), f.replace(/^n\d{8}_/, '').replace(/\.JPEG$/, '').replace(/_/g, ' '));
  });
});
