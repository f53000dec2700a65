import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hgpipeDeitTiny } from '../../src/ir/index.ts';
import { simulateChain } from '../../src/sim/index.ts';

describe('block chains with 128-deep FIFOs between blocks (DATAFLOW §6–7)', () => {
  it('PATCH_EMBED → ATTN0 → MLP0 → ATTN1 → MLP1 → HEAD: last logit of image 0 at 175,824, then 57,848 and 57,625', () => {
    const d = hgpipeDeitTiny();
    const names = ['PATCH_EMBED', 'ATTN0', 'MLP0', 'ATTN1', 'MLP1', 'HEAD'];
    const r = simulateChain(names.map((n) => d.blocks.find((b) => b.name === n)!), d.linkDepth, { images: 3 });
    assert.equal(r.completed, true);
    assert.equal(r.perImage[0].firstInLastOut, 175824);
    assert.deepEqual(r.outputIntervals, [57848, 57625]);
    assert.deepEqual(r.inputIntervals.slice(0, 2), [55884, 56449]);
  });
});
