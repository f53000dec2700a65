import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { checkGeneratable } from '../../src/codegen/index.ts';
import { DEVICES, estimateDesign } from '../../src/cost/index.ts';
import { isVitpipeError } from '../../src/diag/index.ts';
import { loadQuantizedFolder, loadQuantizedModel } from '../../src/engine/index.ts';
import { loadDesign, type Design } from '../../src/ir/index.ts';
import { CIFAR_CHECKPOINT, CIFAR_DIR, CIFAR_IMPORT_FLAGS, SKIP_NO_CIFAR, vitpipe } from '../shared.ts';


describe('a quantized folder through the planner and the simulator (CIFAR-10 ViT: post-norm, ReLU, 65 tokens, 8 heads)', { skip: SKIP_NO_CIFAR }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitpipe-plan-folder-'));
  const q8 = join(dir, 'q8');
  const designFile = join(dir, 'd.json');
  let planDoc: { steadyInterval: number; analyticInterval: number; fits: boolean; tokensRun: number; simulated: boolean; model: string; verification: { deadlock: string | null } };
  let design: Design;

  before(() => {
    const m = join(dir, 'm');
    assert.equal(vitpipe('import', '--from', CIFAR_CHECKPOINT, ...CIFAR_IMPORT_FLAGS, '--out', m).code, 0);
    const q = vitpipe('quantize', '--weights', m, '--calib', join(CIFAR_DIR, 'calib'), '--images', '32', '--bits', 'w8a8', '--out', q8);
    assert.equal(q.code, 0, q.stderr);
  });

  it('describes the folder as the engine runs it: post-norm, ReLU, the input requantizer where the weights have one', () => {
    const model = loadQuantizedModel(q8);
    const { manifest, weights } = loadQuantizedFolder(q8);
    const hw = model.hardware!;
    assert.equal(model.name, manifest.name);
    assert.deepEqual([hw.norm, hw.activation, model.tokens, model.heads], ['post', 'relu', 65, 8]);
    weights.attention.forEach((a, n) => assert.equal(hw.attn[n].inQuantEntries, a.inQuant?.table.length, `ATTN${n}`));
    weights.mlp.forEach((f, n) => assert.equal(hw.mlp[n].inQuantEntries, f.inQuant?.table.length, `MLP${n}`));
    assert.ok(hw.attn[0].inQuantEntries! > 0 && hw.attn[1].inQuantEntries === undefined, 'w8a8: only the first block requantizes');
    assert.equal(hw.attn[0].exp.entries, weights.attention[0].softmax.exp.length);
    assert.equal(hw.attn[0].inBits, hw.patchEmbed.outBits);
  });

  it('plan --model <folder> --device zcu102 fits; the simulated interval is the analytic one', () => {
    const r = vitpipe('plan', '--model', q8, '--device', 'zcu102', '--out', designFile, '--json');
    assert.equal(r.code, 0, r.stderr);
    planDoc = JSON.parse(r.stdout);
    assert.equal(planDoc.fits, true);
    assert.equal(planDoc.simulated, true);
    assert.equal(planDoc.verification.deadlock, null);
    assert.equal(planDoc.steadyInterval, planDoc.analyticInterval);
    assert.equal(planDoc.tokensRun, 66, '65 tokens run in 33 token pairs, as DeiT’s 197 in 99');
  });

  it('the design records the model’s name and geometry, and code generation accepts its post-norm blocks', () => {
    design = loadDesign(designFile);
    const { manifest } = loadQuantizedFolder(q8);
    assert.equal(design.model, manifest.name);
    assert.deepEqual(design.geometry, manifest.geometry);
    assert.ok(design.blocks.filter((b) => b.kind === 'attn' || b.kind === 'mlp').every((b) => b.norm === 'post'));
    assert.doesNotThrow(() => checkGeneratable(design));
    // generation only (the C simulation of the whole CIFAR design is bench:codegen's; test/codegen/folder.test.ts builds a small one)
    const g = vitpipe('generate', '--design', designFile, '--weights', q8, '--out', join(dir, 'hls'), '--json');
    assert.equal(g.code, 0, g.stderr);
    const doc = JSON.parse(g.stdout);
    assert.equal(doc.blocks.length, design.blocks.length);
    assert.equal(doc.network.source, 'refs');
    // HG-PIPE's refs are not this design's weights: a clear error naming both
    const wrong = vitpipe('generate', '--design', 'hgpipe-deit-tiny', '--weights', q8, '--out', join(dir, 'never'));
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /BAD_DESIGN.*hgpipe-deit-tiny.*vit_cifar10/s);
  });

  it('simulate --design: the whole network runs at the plan’s interval', () => {
    const r = vitpipe('simulate', '--design', designFile, '--images', '4', '--no-blocks', '--json');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.network.completed, true);
    assert.equal(doc.network.steadyInterval, planDoc.steadyInterval);
  });

  it('URAM binding on the KV260: over its BRAM, the weights move to its UltraRAM, written at start-up', () => {
    const e = estimateDesign(design, DEVICES.kv260);
    assert.ok(e.total.uram > 0 && e.total.uram <= 64 * 0.9);
    const weights = e.movedToUram.filter((m) => m.what === 'weights');
    assert.ok(weights.length > 0);
    assert.ok(weights.every((m) => m.rom && m.loadAtStart === true));
  });
});
