import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  HGPIPE_ATTN, HGPIPE_MLP, blockAnalyticInterval, buildAttnBlock, buildMlpBlock, designToJson, geometriesOf, parseDesign,
  processCycles, validateDesign, withValidKeys, type Block, type Design, type Process,
} from '../../src/ir/index.ts';
import { measureProcess } from '../../src/sim/index.ts';
import { assertChainAtSlowest, TINY } from './tiny.ts';

const { g } = geometriesOf(TINY);
/** ATTN0 of the 28-token test model keeping `keep` of its 27 image tokens, then MLP0 at the selected count. */
function slice(keep: number, fuse: boolean, cpOut = 1): Block[] {
  const attn = buildAttnBlock('ATTN0', 0, g, HGPIPE_ATTN, { tokensIn: 28, keep, fuse, cpOut });
  const sel = attn.processes.find((p) => p.kind === 'token-select')!;
  const tokens = Math.ceil((sel as { tokensOut: number }).tokensOut / 2) * 2;
  return [attn, buildMlpBlock('MLP0', 0, { ...g, tokens }, { ...HGPIPE_MLP, lnCp: cpOut })];
}
const kinds = (b: Block, k: Process['kind']) => b.processes.filter((p) => p.kind === k);

describe('IR: token-select and score-tap', () => {
  it('an attention block with a selection taps every head and ends in the selector', () => {
    const [attn, mlp] = slice(12, true, 2);
    assert.equal(kinds(attn, 'score-tap').length, TINY.heads);
    assert.deepEqual(kinds(attn, 'token-select').map((p) => (p as { side: string }).side), ['rank', 'emit']);
    // 1 + 12 kept + the fused token = 14 tokens, 7 token pairs × 48 / 2 channels
    assert.equal(attn.output.beatsPerImage, 7 * 24);
    assert.equal(mlp.input.beatsPerImage, attn.output.beatsPerImage);
    validateDesign({ name: 'slice', model: TINY.name, blocks: [attn, mlp], linkDepth: 128 });
  });

  it('estimate = simulation: each side alone takes its analytic cycles per image', () => {
    for (const [keep, fuse] of [[12, true], [13, false], [26, true]] as const) {
      const [attn] = slice(keep, fuse);
      for (const p of [...kinds(attn, 'token-select'), kinds(attn, 'score-tap')[0]]) {
        const m = measureProcess(p, 3);
        const c = processCycles(p);
        assert.deepEqual(m.cyclesPerInvocation, [c, c, c], `${p.name} keep ${keep}`);
      }
    }
  });

  it('rejects a token count that does not follow from keep and fuse, naming the field', () => {
    const [attn, mlp] = slice(12, true);
    const doc = JSON.parse(designToJson({ name: 'slice', model: TINY.name, blocks: [attn, mlp], linkDepth: 128 }));
    const rank = doc.blocks[0].processes.find((p: { name: string }) => p.name === 'select.rank');
    rank.tokensOut = 13;
    assert.throws(() => parseDesign(doc, 'bad.json'), /block ATTN0, process select\.rank \(token-select\), field tokensOut: tokensOut = 13, but CLS \+ 12 kept \+ the fused token = 14/);
  });

  it('an odd token count: softmaxes ignore the padding key, with unchanged timing; a bad validKeys is named', () => {
    const full = buildAttnBlock('ATTN1', 1, { ...g, tokens: 14 }, HGPIPE_ATTN);
    const odd = withValidKeys(full, 13);
    const sm = odd.processes.filter((p) => p.kind === 'softmax');
    assert.deepEqual(sm.map((p) => (p as { validKeys?: number }).validKeys), [13, 13, 13]);
    assert.deepEqual(blockAnalyticInterval(odd), blockAnalyticInterval(full));
    const doc = JSON.parse(designToJson({ name: 'odd', model: TINY.name, blocks: [odd], linkDepth: 128 }));
    doc.blocks[0].processes.find((p: { kind: string }) => p.kind === 'softmax').validKeys = 15;
    assert.throws(() => parseDesign(doc, 'bad.json'), /process softmax0 \(softmax\), field validKeys: validKeys must be in 1\.\.keys \(14\), got 15/);
  });

  it('round-trips through the design JSON format', () => {
    const d: Design = { name: 'slice', model: TINY.name, blocks: slice(12, true, 2), linkDepth: 128 };
    assert.deepEqual(parseDesign(JSON.parse(designToJson(d))), d);
  });

  it('chains: the pruned slice runs 3 images at its slowest process, fast engine = reference stepper', () => {
    const blocks = slice(12, true);
    assertChainAtSlowest(blocks);
  });
});
