import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { infer } from '../../src/engine/index.ts';
import { MODEL_ZOO, shapeOf } from '../../src/model/index.ts';
import { inferPruned, pruneModelWeights } from '../../src/prune/index.ts';
import { loadWeights, readRefsInt32 } from '../../src/refs/index.ts';
import { REFS_DIR, SKIP_NO_REFS } from '../shared.ts';

const cfg = MODEL_ZOO['hgpipe-deit-tiny'];

describe('pruned integer engine on the HG-PIPE refs input', { skip: SKIP_NO_REFS }, () => {
  const load = () => {
    const w = loadWeights(REFS_DIR, cfg);
    const x = readRefsInt32(REFS_DIR, 'patch_embed_input', [cfg.tokens, shapeOf(cfg).patchElements]);
    return { w, x, base: infer(w, x).logits };
  };

  test('keep = 1.0 and density = 1.0 give exactly the unpruned logits', () => {
    const { w, x, base } = load();
    const stages = [3, 6, 9].map((block) => ({ block, keep: 1 }));
    assert.deepEqual(inferPruned(w, x, { name: 'keep 1', tokens: { stages, fuse: true } }), base);
    assert.deepEqual(inferPruned(pruneModelWeights(w, { density: 1, block: 16 }), x, { name: 'dense' }), base);
  });

  test('pruned runs are deterministic and change the computation', () => {
    const { w, x, base } = load();
    const s = { name: 'keep 0.5', tokens: { stages: [3, 6, 9].map((block) => ({ block, keep: 0.5 })), fuse: true } };
    const a = inferPruned(w, x, s);
    assert.deepEqual(inferPruned(w, x, s), a);
    assert.notDeepEqual(a, base);
    const pw = pruneModelWeights(w, { density: 0.75, block: 16 });
    assert.deepEqual(inferPruned(pw, x, { name: 'd' }), inferPruned(pruneModelWeights(w, { density: 0.75, block: 16 }), x, { name: 'd' }));
  });
});

describe('shared-trunk evaluation', { skip: SKIP_NO_REFS }, () => {
  test('equals running every setting on its own', async () => {
    const { inferSharedTrunk, defaultGrid } = await import('../../src/prune/index.ts');
    const w = loadWeights(REFS_DIR, cfg);
    const x = readRefsInt32(REFS_DIR, 'patch_embed_input', [cfg.tokens, shapeOf(cfg).patchElements]);
    const settings = defaultGrid().filter((s) => !s.weights).slice(0, 4);
    const shared = inferSharedTrunk(w, x, settings);
    settings.forEach((s, k) => assert.deepEqual(shared[k], inferPruned(w, x, s), s.name));
  });
});
