import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { infer } from '../../src/engine/index.ts';
import { MODEL_ZOO, shapeOf } from '../../src/model/index.ts';
import {
  blockCensus, densityOf, inferPruned, loadSettings, matmulInputMeans, prunableMatmuls, pruneModelWeights, pruneWeightBlocks, weightPruningKey,
  type WeightPruning,
} from '../../src/prune/index.ts';
import { loadWeights, readRefsInt32, type ModelWeights } from '../../src/refs/index.ts';
import { REFS_DIR, SKIP_NO_REFS } from '../shared.ts';

const cfg = MODEL_ZOO['hgpipe-deit-tiny'];

/** Every weight of every pruned matmul: zero exactly inside the blocks the L1 ranking drops, the refs value elsewhere. */
function assertPrunedExactly(base: ModelWeights, pruned: ModelWeights, p: WeightPruning): void {
  const after = prunableMatmuls(pruned);
  prunableMatmuls(base).forEach(({ layer, name, m }, k) => {
    const q = after[k].m;
    const { co, ci, w } = m.weights;
    assert.equal(q.bias, m.bias, `${name}${layer}: bias untouched`);
    assert.deepEqual([q.weights.co, q.weights.ci], [co, ci]);
    const d = densityOf(p, name, layer);
    if (d === 1) return assert.equal(q, m, `${name}${layer}: dense matmul shared as is`);
    const cols = ci / p.block;
    const l1 = new Array((co / p.block) * cols).fill(0);
    for (let o = 0; o < co; o++) for (let i = 0; i < ci; i++) l1[Math.floor(o / p.block) * cols + Math.floor(i / p.block)] += Math.abs(w[o * ci + i]);
    const keep = Math.ceil(d * l1.length);
    const threshold = [...l1].sort((a, b) => b - a)[keep - 1];
    let zeroBlocks = 0;
    for (let b = 0; b < l1.length; b++) {
      const [r, c] = [Math.floor(b / cols), b % cols];
      let allZero = true;
      for (let o = r * p.block; o < (r + 1) * p.block; o++)
        for (let i = c * p.block; i < (c + 1) * p.block; i++) {
          const v = q.weights.w[o * ci + i];
          if (v !== 0) allZero = false;
          if (v !== 0 || l1[b] > threshold) assert.equal(v, w[o * ci + i], `${name}${layer} [${o}][${i}]`);
        }
      if (allZero) {
        zeroBlocks++;
        assert.ok(l1[b] <= threshold, `${name}${layer}: block ${b} (L1 ${l1[b]}) above the cut ${threshold} was zeroed`);
      }
    }
    assert.equal(zeroBlocks, l1.length - keep, `${name}${layer}: zeroed blocks`);
  });
  // everything that is not a 3-bit matmul weight is the very same object
  assert.equal(pruned.patchEmbed, base.patchEmbed);
  assert.equal(pruned.head, base.head);
  base.attention.forEach((a, n) => {
    for (const f of ['ln', 'qQuant', 'kQuant', 'vQuant', 'aQuant', 'softmax', 'residual'] as const) assert.equal(pruned.attention[n][f], a[f]);
  });
  base.mlp.forEach((m, n) => {
    for (const f of ['ln', 'gelu', 'residual'] as const) assert.equal(pruned.mlp[n][f], m[f]);
  });
}

describe('weight-block pruning of the HG-PIPE model', { skip: SKIP_NO_REFS }, () => {
  const w = SKIP_NO_REFS ? undefined : loadWeights(REFS_DIR, cfg);

  test('zeroes exactly the lowest-L1 blocks of [CO][CI] signed weights, nothing else changes', () => {
    assertPrunedExactly(w!, pruneModelWeights(w!, { density: 0.9, block: 16 }), { density: 0.9, block: 16 });
    const per: WeightPruning = { density: 1, block: 16, perMatmul: { fc2: 0.5, q: 0.75 }, layers: [2, 7] };
    const pw = pruneModelWeights(w!, per);
    assertPrunedExactly(w!, pw, per);
    const census = blockCensus(pw, 16);
    assert.deepEqual(census.fc2, { nonZero: 2 * 288 + 10 * 576, total: 12 * 576 });
    assert.deepEqual(census.q, { nonZero: 2 * 108 + 10 * 144, total: 12 * 144 });
    assert.deepEqual(census.k, { nonZero: 12 * 144, total: 12 * 144 });
  });

  test('density 1 (all, or per matmul) gives bit-identical logits; pruning only one kind changes only it', () => {
    const x = readRefsInt32(REFS_DIR, 'patch_embed_input', [cfg.tokens, shapeOf(cfg).patchElements]);
    const base = infer(w!, x).logits;
    assert.deepEqual(inferPruned(pruneModelWeights(w!, { density: 1, block: 16, perMatmul: { fc1: 1 } }), x, { name: 'dense' }), base);
    assert.equal(weightPruningKey({ density: 0.5, block: 16, layers: [] }, cfg.depth), 'dense');
    assert.equal(weightPruningKey({ density: 1, block: 16, perMatmul: { o: 0.9 } }, cfg.depth), weightPruningKey({ density: 0.9, block: 16, perMatmul: { q: 1, k: 1, v: 1, fc1: 1, fc2: 1 } }, cfg.depth));
  });

  test('bias correction: same pruned weights, each bias moved by the rounded mean of its removed terms', () => {
    const x = readRefsInt32(REFS_DIR, 'patch_embed_input', [cfg.tokens, shapeOf(cfg).patchElements]);
    const means = matmulInputMeans(w!, [x], (m, p, trace) => void infer(m, p, { trace }));
    // the means are those of the traced inputs: fc2's input is the GELU output (unsigned codes), q's the LayerNorm output
    let gelu = 0;
    infer(w!, x, { trace: (name, data) => void (name === 'mlp_0_matmul2_input' && (gelu = data.reduce((a, v) => a + v, 0) / data.length)) });
    assert.ok(Math.abs(means.get('fc20')!.reduce((a, v) => a + v, 0) / 768 - gelu) < 1e-9);
    const p: WeightPruning = { density: 1, block: 16, perMatmul: { fc2: 0.75 }, layers: [0] };
    const plain = pruneModelWeights(w!, p);
    const fixed = pruneModelWeights(w!, { ...p, correctBias: true }, means);
    assert.deepEqual(fixed.mlp[0].fc2.weights.w, plain.mlp[0].fc2.weights.w);
    assert.equal(fixed.mlp[1].fc2, w!.mlp[1].fc2);
    const { co, ci } = w!.mlp[0].fc2.weights;
    const mu = means.get('fc20')!;
    for (let o = 0; o < co; o++) {
      let removed = 0;
      for (let i = 0; i < ci; i++) removed += (w!.mlp[0].fc2.weights.w[o * ci + i] - plain.mlp[0].fc2.weights.w[o * ci + i]) * mu[i];
      assert.equal(fixed.mlp[0].fc2.bias[o], w!.mlp[0].fc2.bias[o] + Math.round(removed));
    }
    assert.throws(() => pruneModelWeights(w!, { ...p, correctBias: true }), /needs the matmul input means/);
  });

  test('the ranking uses |w| of signed weights: a strongly negative block outranks a weakly positive one', () => {
    const co = 16;
    const ci = 32;
    const m = new Int32Array(co * ci);
    for (let o = 0; o < co; o++) for (let i = 0; i < ci; i++) m[o * ci + i] = i < 16 ? -4 : 1;
    const r = pruneWeightBlocks(m, co, ci, 16, 0.5);
    assert.deepEqual([...r.mask], [1, 0]);
  });
});

describe('--settings files', () => {
  const write = (doc: unknown) => {
    const f = join(mkdtempSync(join(tmpdir(), 'vitpipe-settings-')), 's.json');
    writeFileSync(f, JSON.stringify(doc));
    return f;
  };
  test('valid settings load with their per-matmul densities', () => {
    const s = loadSettings(write([{ name: 'fc2 0.75', weights: { density: 1, block: 16, perMatmul: { fc2: 0.75 } } }, { name: 'k', tokens: { stages: [{ block: 3, keep: 0.7 }], fuse: false } }]), 12);
    assert.equal(densityOf(s[0].weights!, 'fc2', 4), 0.75);
    assert.equal(densityOf(s[0].weights!, 'fc1', 4), 1);
    assert.equal(s[1].tokens!.fuse, false);
  });
  test('bad settings name the file, the setting and the field', () => {
    assert.throws(() => loadSettings(write([{ name: 'a', weights: { density: 1, block: 16, perMatmul: { fc3: 0.5 } } }]), 12), /fc3/);
    assert.throws(() => loadSettings(write([{ name: 'a', weights: { density: 1.5, block: 16 } }]), 12), /density/);
    assert.throws(() => loadSettings(write([{ name: 'a', tokens: { stages: [{ block: 12, keep: 0.5 }], fuse: true } }]), 12), /s\.json: setting 'a': token-pruning block 12 is outside 0\.\.11/);
    assert.throws(() => loadSettings(write([{ name: 'a' }, { name: 'a' }]), 12), /appears twice/);
    assert.throws(() => loadSettings(write([{ name: 'a', weights: { density: 0.5, block: 16, layers: [12] } }]), 12), /s\.json: setting 'a': weight-pruning layer 12 is outside 0\.\.11/);
  });
});
