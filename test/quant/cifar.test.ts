import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { infer, inputToCodes, loadQuantizedFolder, runBatch, topK } from '../../src/engine/index.ts';
import { imageToInput, runFloatBatch } from '../../src/float/index.ts';
import { listImages } from '../../src/image/index.ts';
import { quantizeFolder } from '../../src/quant/index.ts';
import { readRefsFileInt32 } from '../../src/refs/index.ts';
import { CIFAR_CHECKPOINT, CIFAR_DIR, CIFAR_IMPORT_FLAGS, SKIP_NO_CIFAR, vitpipe } from '../shared.ts';


describe('post-training quantization of the trained CIFAR-10 ViT (post-norm, ReLU, 65 tokens)', { skip: SKIP_NO_CIFAR }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitpipe-quant-'));
  const m = join(dir, 'm');
  const q8 = join(dir, 'q8');
  const calib = join(CIFAR_DIR, 'calib');
  // Every 50th test photo: 100 photos, 10 per class.
  const testPhotos = listImages(join(CIFAR_DIR, 'test')).filter((_, i) => i % 50 === 3);

  test('quantize w8a8 (CLI): a folder in the reference format with widths; the integer engine agrees with float', async () => {
    assert.equal(vitpipe('import', '--from', CIFAR_CHECKPOINT, ...CIFAR_IMPORT_FLAGS, '--out', m).code, 0);
    const r = vitpipe('quantize', '--weights', m, '--calib', calib, '--images', '96', '--bits', 'w8a8', '--out', q8, '--json');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.calibrationImages, 96);
    assert.equal(doc.manifest.norm, 'post');
    assert.equal(doc.manifest.activation, 'relu');
    assert.deepEqual(doc.manifest.quant, { weightBits: 8, activationBits: 8, streamBits: 8, embedBits: 8, headBits: 8 });
    const files = readdirSync(q8);
    for (const f of ['quant.json', 'hardware-types.json', 'attn_0_xq_table_m.txt', 'attn_5_softmaxq_exp_opp_table_m.txt', 'mlp_5_geluq_table_m.txt', 'head_matmul_weight.txt'])
      assert.ok(files.includes(f), `${f} written`);
    // Golden tensors of the first calibration photo for C simulation: the engine's, in the reference format.
    const ref = loadQuantizedFolder(q8);
    assert.equal(doc.manifest.calibration.reference, 'aeroplane_s_000004.png');
    const refCodes = inputToCodes(await imageToInput(listImages(calib)[0], ref.manifest.input), ref.manifest);
    assert.deepEqual(readRefsFileInt32(join(q8, 'patch_embed_input.txt'), [65, 48]), refCodes);
    assert.deepEqual(readRefsFileInt32(join(q8, 'network_output.txt'), [10]), infer(ref.weights, refCodes).logits);
    for (const f of ['attn_0_input.txt', 'attn_5_output.txt', 'mlp_2_output.txt', 'attn_0_xq_output.txt', 'head_input.txt']) assert.ok(files.includes(f), `${f} written`);
    const types = JSON.parse(readFileSync(join(q8, 'hardware-types.json'), 'utf8'));
    assert.deepEqual(Object.keys(types.blocks).sort(), ['ATTN0', 'ATTN1', 'ATTN2', 'ATTN3', 'ATTN4', 'ATTN5', 'HEAD', 'MLP0', 'MLP1', 'MLP2', 'MLP3', 'MLP4', 'MLP5', 'PATCH_EMBED'].sort());
    assert.deepEqual(types.blocks.ATTN0.__attn_of_t, { signed: true, bits: 9 }, '8-bit stream codes + 1 margin bit');

    const floatTop1 = (await runFloatBatch(m, testPhotos, { threads: 2 })).map((x) => topK(x.logits, 1)[0].class);
    const results = await runBatch(testPhotos.map((file) => ({ kind: 'image' as const, file })), { weightsDir: q8, modes: ['ideal', 'hardware'], maxWrapEvents: 10 }, { threads: 2 });
    const same = results.filter((x, i) => topK(x.logits.ideal!, 1)[0].class === floatTop1[i]).length;
    assert.ok(same >= 97, `integer top-1 equals float top-1 on ${same} / 100 photos`);
    // Hardware widths from calibration photos hold on test photos: no wrap, so hardware equals ideal.
    assert.equal(results.reduce((s, x) => s + x.wrapCount, 0), 0, JSON.stringify(results.find((x) => x.wrapCount > 0)?.wraps));
    results.forEach((x) => assert.deepEqual(x.logits.hardware, x.logits.ideal));

    // `audit` reads the folder's own widths: nothing wraps on these photos.
    const audit = vitpipe('audit', '--weights', q8, '--image', ...testPhotos.slice(0, 4), '--json');
    assert.equal(audit.code, 0, audit.stderr);
    assert.deepEqual(JSON.parse(audit.stdout), { images: 4, imagesWithWraps: 0, totalEvents: 0, top1Disagreements: [], fields: [] });

    // The CLI labels the classes with the folder's names.
    const inf = vitpipe('infer', '--weights', q8, '--image', testPhotos[0], '--json');
    assert.equal(inf.code, 0, inf.stderr);
    assert.ok(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'].includes(JSON.parse(inf.stdout).results[0].top5[0].label));
  });

  test('the folder read back runs exactly as the model in memory; quantization is deterministic', async () => {
    const photos = listImages(calib).slice(0, 24);
    const a = await quantizeFolder(m, photos, { bits: 'w4a4', widthImages: 8 });
    const b = await quantizeFolder(m, photos, { bits: 'w4a4', widthImages: 8 });
    assert.deepEqual(a.manifest, b.manifest);
    assert.deepEqual(a.types, b.types);
    const out = join(dir, 'q4');
    const r = vitpipe('quantize', '--weights', m, '--calib', ...photos, '--bits', 'w4a4', '--out', out);
    assert.equal(r.code, 0, r.stderr);
    const disk = loadQuantizedFolder(out);
    for (const photo of testPhotos.slice(0, 3)) {
      const codes = inputToCodes(await imageToInput(photo, disk.manifest.input), disk.manifest);
      assert.deepEqual(infer(disk.weights, codes).logits, infer(a.weights, codes).logits);
    }
    // Post-norm at 4-bit activations: the 8-bit stream is requantized before every block's matmuls.
    assert.ok(readdirSync(out).includes('mlp_3_xq_table_m.txt'));
  });

  test('bad input: unknown bits, a folder that is not a float model, no photos, a folder it must not overwrite', () => {
    const bad = vitpipe('quantize', '--weights', m, '--calib', calib, '--bits', 'w5a5', '--out', join(dir, 'x'));
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /unknown bit setting 'w5a5'; expected one of w8a8, w6a6, w4a8, w4a4, w3a3/);
    const notFloat = vitpipe('quantize', '--weights', q8, '--calib', calib, '--bits', 'w8a8', '--out', join(dir, 'x'));
    assert.equal(notFloat.code, 1);
    assert.match(notFloat.stderr, /not a vitpipe model folder/);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const noPhotos = vitpipe('quantize', '--weights', m, '--calib', empty, '--bits', 'w8a8', '--out', join(dir, 'x'));
    assert.equal(noPhotos.code, 1);
    assert.match(noPhotos.stderr, /empty.*no \.jpg, \.jpeg or \.png/);
    const precious = join(dir, 'precious');
    mkdirSync(precious);
    writeFileSync(join(precious, 'notes.txt'), 'keep');
    const refuse = vitpipe('quantize', '--weights', m, '--calib', listImages(calib)[0], '--bits', 'w8a8', '--out', precious);
    assert.equal(refuse.code, 1);
    assert.match(refuse.stderr, /refusing to overwrite/);
    assert.equal(readFileSync(join(precious, 'notes.txt'), 'utf8'), 'keep');
    assert.ok(!readdirSync(dir).some((n) => n.startsWith('.')), 'no staging folder left behind');
  });
});
