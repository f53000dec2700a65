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
    // Per-block output windows of the same RTL run (DATAFLOW §7).
    const win = (b: string, img: number) => {
      const w = r.blockWindows.find((x) => x.block === b)!;
      return [w.firstOut[img], w.lastOut[img]];
    };
    assert.deepEqual(win('ATTN1', 0), [125008, 182828]);
    assert.deepEqual(win('MLP1', 0), [127014, 184872]);
    assert.deepEqual(win('HEAD', 1), [185861, 233672]);
  });
});
