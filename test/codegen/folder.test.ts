import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { checkFolderMatchesDesign, checkGeneratable, generateProject, writeProject } from '../../src/codegen/index.ts';
import { isVitpipeError } from '../../src/diag/index.ts';
import { loadQuantizedFolder, loadQuantizedModel } from '../../src/engine/index.ts';
import { writeFloatModel } from '../../src/float/folder.ts';
import { FLOAT_MODEL_FORMAT, type FloatManifest } from '../../src/float/manifest.ts';
import { randomTensors } from '../onnx/reference-forward.ts';
import {
  HGPIPE_ATTN, HGPIPE_MLP, buildAttnBlock, buildHeadBlock, buildMlpBlock, buildPatchEmbedBlock, designGeometry, designToJson, geometriesOf,
  parseDesign, validateDesign, type Design,
} from '../../src/ir/index.ts';
import { prng } from '../../src/num/index.ts';
import { paddedTokens } from '../../src/plan/index.ts';
import { quantizeFolder, writeQuantizedFolder } from '../../src/quant/index.ts';
import { loadHardwareTypes } from '../../src/refs/index.ts';

const HAVE_GXX = spawnSync('g++', ['--version']).status === 0 && spawnSync('make', ['--version']).status === 0;
const tmp = mkdtempSync(join(tmpdir(), 'vitpipe-codegen-folder-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * A small post-norm ReLU model with 8 heads of 4 channels and 5 tokens (4 patches + CLS, run in 6 slots), random
 * weights, quantized here (w8a8) from a few random calibration photos: every feature of a quantized folder's design
 * that code generation has to handle, at a size that builds in seconds.
 */
function floatModel(dir: string): void {
  const manifest: FloatManifest = {
    format: FLOAT_MODEL_FORMAT,
    version: 1,
    name: 'tiny-post-relu-h8',
    source: { file: 'random', family: 'torch-encoder', sha256: '0'.repeat(64) },
    geometry: { imageSize: 8, patchSize: 4, inChannels: 3, width: 32, depth: 2, heads: 8, mlpHidden: 64, numClasses: 5, tokens: 5 },
    block: { norm: 'post', activation: 'relu', eps: 1e-5 },
    head: { norm: true, eps: 1e-6 },
    input: { resize: 8, crop: 8, interpolation: 'bicubic', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
    classes: ['ant', 'bee', 'cat', 'dog', 'eel'],
  };
  const tensors = randomTensors(manifest, 7);
  writeFloatModel(dir, { manifest, tensors });
}

async function photos(dir: string, n: number): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const rand = prng(11);
  const files: string[] = [];
  for (let i = 0; i < n; i++) {
    const px = Buffer.alloc(8 * 8 * 3);
    for (let j = 0; j < px.length; j++) px[j] = Math.floor(rand() * 256);
    const file = join(dir, `photo${i}.png`);
    await sharp(px, { raw: { width: 8, height: 8, channels: 3 } }).png().toFile(file);
    files.push(file);
  }
  return files;
}

/**
 * ATTN0: one pipeline per head, 8 heads → two-level head split/merge trees (2 groups of 4); ATTN1: 4 heads share
 * each QKᵀ/softmax/R·V pipeline (2 pipelines), its key tiles of 3 tokens; the 5 tokens in 6 slots everywhere.
 */
function design(q: string): Design {
  const model = loadQuantizedModel(q);
  const slots = { ...model, tokens: paddedTokens(model) };
  const { g, ends } = geometriesOf(slots);
  const attn = { ...HGPIPE_ATTN, qkv: { cip: 4, cop: 8 }, o: { cip: 8, cop: 4 } };
  const mlp = { ...HGPIPE_MLP, fc1: { cip: 8, cop: 16 }, fc2: { cip: 16, cop: 8 } };
  const blocks = [
    buildPatchEmbedBlock(ends, { kind: 'patch-embed', tp: 2, inCp: 4, mac: { cip: 8, cop: 4 }, outCp: 1, fifo: { adpt: 2, window: 2, other: 2 }, inBits: 8, outBits: 16 }),
    buildAttnBlock('ATTN0', 0, g, { ...attn, qk: { cip: 2, cop: 2 }, rv: { cip: 2, cop: 2 }, headsPerUnit: 1 }),
    buildMlpBlock('MLP0', 0, g, mlp),
    buildAttnBlock('ATTN1', 1, g, { ...attn, qk: { cip: 2, cop: 3 }, rv: { cip: 3, cop: 2 }, headsPerUnit: 4 }),
    buildMlpBlock('MLP1', 1, g, { ...mlp, geluCp: 1 }),
    buildHeadBlock(ends, { kind: 'head', tp: 2, mac: { cip: 4, cop: 1 }, fifo: { other: 2 }, lnDepth: 14, inBits: 9 }),
  ];
  const d = validateDesign({ name: 'tiny-post-relu-h8-test', model: model.name, ...designGeometry(model), blocks, linkDepth: 16 });
  return parseDesign(JSON.parse(designToJson(d)), 'tiny.json'); // the design-file path
}

describe('code generation for a quantized folder (post-norm, ReLU, 8 heads, 5 tokens in 6 slots)', () => {
  const q = join(tmp, 'q8');
  let d: Design;

  before(async () => {
    const m = join(tmp, 'm');
    floatModel(m);
    const calib = await photos(join(tmp, 'calib'), 4);
    writeQuantizedFolder(q, await quantizeFolder(m, calib, { bits: 'w8a8' }));
    d = design(q);
  });

  test('the design has what the generator must handle: post-norm blocks, x.quant, ReLU, head trees, shared pipelines', () => {
    const attn0 = d.blocks.find((b) => b.name === 'ATTN0')!;
    const attn1 = d.blocks.find((b) => b.name === 'ATTN1')!;
    assert.ok(d.blocks.filter((b) => b.kind === 'attn' || b.kind === 'mlp').every((b) => b.norm === 'post'));
    assert.ok(attn0.processes.some((p) => p.name === 'x.quant'));
    assert.ok(d.blocks.some((b) => b.processes.some((p) => p.kind === 'requant' && p.fn === 'relu')));
    assert.ok(attn0.processes.some((p) => p.name === 'q.split0') && attn0.processes.some((p) => p.name === 'head_merge1'), 'ATTN0: a head tree');
    assert.ok(attn1.processes.some((p) => p.kind === 'weight-cache' && p.groups === 4), 'ATTN1: 4 heads per pipeline');
    assert.doesNotThrow(() => checkGeneratable(d));
  });

  test('a folder whose geometry or name differs from the design is a BAD_DESIGN error naming both', () => {
    const { manifest } = loadQuantizedFolder(q);
    assert.doesNotThrow(() => checkFolderMatchesDesign(d, manifest, q));
    assert.throws(() => checkFolderMatchesDesign({ ...d, geometry: { ...d.geometry!, heads: 4 } }, manifest, q),
      (e) => isVitpipeError(e) && e.diagnostic.code === 'BAD_DESIGN' && /geometry differs .*heads 4 vs 8/.test(e.message) && e.message.includes(manifest.name));
    assert.throws(() => checkFolderMatchesDesign({ ...d, model: 'other-model' }, manifest, q),
      (e) => isVitpipeError(e) && e.diagnostic.code === 'BAD_DESIGN' && /other-model/.test(e.message) && e.message.includes(manifest.name));
    const hgpipe = spawnSync(process.execPath, ['bin/vitpipe.js', 'generate', '--design', 'hgpipe-deit-tiny', '--weights', q, '--out', join(tmp, 'never')], { encoding: 'utf8' });
    assert.equal(hgpipe.status, 1);
    assert.match(hgpipe.stderr, /BAD_DESIGN.*hgpipe-deit-tiny.*tiny-post-relu-h8/s);
  });

  test('generated C++: the padding key masked, x.quant and ReLU tables, the LayerNorm after the merge', () => {
    const { weights } = loadQuantizedFolder(q);
    const p = generateProject({ design: d, weightsDir: q, weights, types: loadHardwareTypes(join(q, 'hardware-types.json')) });
    const file = (path: string) => p.files.find((f) => f.path === path)!.content;
    assert.match(file('src/attn0.cpp'), /k < 5 \?/);
    assert.match(file('src/attn0_params.h'), /xq_table_m\[\d+\]/);
    assert.match(file('src/mlp0.cpp'), /ReLU fused with table requantization \(mlp_0_geluq\)/);
    assert.match(file('src/attn1.cpp'), /tiles\[tt % 4\]/);
    assert.ok(p.files.some((f) => f.path === 'expected/patch_embed_input.in.txt'), 'the input with its padding row');
    const dir = join(tmp, 'hls');
    writeProject(p, dir);
    if (!HAVE_GXX) return;
    const r = spawnSync('make', ['-C', dir, '-j2', 'csim', `REFS=${q}`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    for (const name of ['PATCH_EMBED', 'ATTN0', 'MLP0', 'ATTN1', 'MLP1'])
      assert.match(r.stdout, new RegExp(`^${name} +PASS: 160/160 values bit-exact vs refs`, 'm'));
    assert.match(r.stdout, /^HEAD +PASS: 5\/5 values bit-exact/m);
    assert.match(r.stdout, /^NETWORK +PASS: 5\/5 values bit-exact vs refs network_output\.txt/m);
  });
});

void readFileSync;
