import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  HGPIPE_ATTN, HGPIPE_MLP, buildAttnBlock, buildMlpBlock, designToJson, geometriesOf, parseDesign,
  processCycles, validateDesign, withTokenMerge, type Block, type Design, type Process,
} from '../../src/ir/index.ts';
import { measureProcess } from '../../src/sim/index.ts';
import { assertChainAtSlowest, TINY } from './tiny.ts';

const { g } = geometriesOf(TINY);
/** ATTN0 of the 28-token test model merging `merged` tokens, then MLP0 at the merged count (padded to pairs). */
function slice(merged: number, cpOut = 1): Block[] {
  const attn = withTokenMerge(buildAttnBlock('ATTN0', 0, g, HGPIPE_ATTN), { tokensIn: 28, merged, cpOut });
  const tokens = Math.ceil((28 - merged) / 2) * 2;
  return [attn, buildMlpBlock('MLP0', 0, { ...g, tokens }, { ...HGPIPE_MLP, lnCp: cpOut })];
}
const kinds = (b: Block, k: Process['kind']) => b.processes.filter((p) => p.kind === k);

describe('IR: token-merge', () => {
  it('an attention block with a merge taps its keys and ends in the merge unit', () => {
    const [attn, mlp] = slice(8, 2);
    assert.deepEqual(kinds(attn, 'token-merge').map((p) => (p as { side: string }).side), ['keys', 'match', 'gather', 'emit']);
    assert.equal(kinds(attn, 'score-tap').length, 1);
    // 28 − 8 = 20 tokens, 10 token pairs × 48 / 2 channels
    assert.equal(attn.output.beatsPerImage, 10 * 24);
    assert.equal(mlp.input.beatsPerImage, attn.output.beatsPerImage);
    validateDesign({ name: 'slice', model: TINY.name, blocks: [attn, mlp], linkDepth: 128 });
  });

  it('estimate = simulation: each side alone takes its analytic cycles per image', () => {
    for (const merged of [1, 8, 13]) {
      const [attn] = slice(merged);
      for (const p of [...kinds(attn, 'token-merge'), kinds(attn, 'score-tap')[0]]) {
        const m = measureProcess(p, 3);
        const c = processCycles(p);
        assert.deepEqual(m.cyclesPerInvocation, [c, c, c], `${p.name} merged ${merged}`);
      }
    }
  });

  it('rejects a merge beyond the mergeable rows and a wrong token count, naming the field', () => {
    assert.throws(() => validateDesign({ name: 'x', model: TINY.name, blocks: slice(14), linkDepth: 128 }), /field merged: merged = 14 exceeds the 13 mergeable rows/);
    const doc = JSON.parse(designToJson({ name: 'slice', model: TINY.name, blocks: slice(8), linkDepth: 128 }));
    doc.blocks[0].processes.find((p: { name: string }) => p.name === 'merge.gather').tokensOut = 21;
    assert.throws(() => parseDesign(doc, 'bad.json'), /process merge\.gather \(token-merge\), field tokensOut: tokensOut = 21, but 28 − 8 merged = 20/);
  });

  it('round-trips through the design JSON format', () => {
    const d: Design = { name: 'slice', model: TINY.name, blocks: slice(8, 2), linkDepth: 128 };
    assert.deepEqual(parseDesign(JSON.parse(designToJson(d))), d);
  });

  it('chains: the merged slice (odd count 19 in 20 slots) runs 3 images at its slowest process, fast engine = reference stepper', () => {
    const blocks = slice(9);
    validateDesign({ name: 'slice', model: TINY.name, blocks, linkDepth: 128 });
    assertChainAtSlowest(blocks);
  });
});
