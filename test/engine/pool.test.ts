import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runBatch, runOne, type InputSpec } from '../../src/engine/index.ts';
import { EXTRA_GOLDENS, REFS_DIR, SKIP_NO_REFS } from '../shared.ts';

test('the worker pool gives the same logits and wraps as one thread, in input order', { skip: SKIP_NO_REFS }, async () => {
  const inputs: InputSpec[] = [
    { kind: 'patches', file: join(EXTRA_GOLDENS, 'n01443537_goldfish', 'patch_embed_input.txt') },
    { kind: 'patches', file: join(REFS_DIR, 'patch_embed_input.txt') },
    { kind: 'patches', file: join(EXTRA_GOLDENS, 'n03000134_chainlink_fence', 'patch_embed_input.txt') },
  ];
  const req = { weightsDir: REFS_DIR, modes: ['hardware' as const] };
  const pooled = await runBatch(inputs, req, { threads: 2 });
  assert.deepEqual(pooled.map((r) => r.file), inputs.map((i) => i.file));
  for (const [i, input] of inputs.entries()) {
    const single = await runOne(input, req);
    assert.deepEqual(Array.from(pooled[i].logits.hardware!), Array.from(single.logits.hardware!));
    assert.deepEqual(pooled[i].wraps, single.wraps);
  }
  // SPEC §0: one wrap on the reference image; extra-goldens README: the goldfish wraps, the chain-link fence does not.
  assert.ok(pooled[0].wrapCount > 0);
  assert.equal(pooled[1].wrapCount, 1);
  assert.equal(pooled[2].wrapCount, 0);
});
