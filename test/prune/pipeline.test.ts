import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadDevice } from '../../src/cost/index.ts';
import { HGPIPE_ATTN, HGPIPE_MLP, buildAttnBlock, buildMlpBlock, blockAnalyticInterval, processCycles, withTokenSelection } from '../../src/ir/index.ts';
import { MODEL_ZOO } from '../../src/model/index.ts';
import { defaultGrid, planPruned, prunedNetwork, selectorFor, simulatePruned, tokenGroups } from '../../src/prune/index.ts';

const model = MODEL_ZOO['hgpipe-deit-tiny'];
const geom = (tokens: number) => ({ tokens, width: 192, heads: 3, mlpHidden: 768, weightBits: 3, actBits: 3 });

describe('pruned pipeline', () => {
  test('token groups follow the schedule (padded to token pairs)', () => {
    const g = tokenGroups(model, defaultGrid().find((s) => s.name === 'keep 0.7')!);
    assert.deepEqual(g.map((x) => x.tokens), [196, 140, 100, 72]);
    assert.deepEqual(g[0].attnLayers, [0, 1, 2, 3]);
    assert.deepEqual(g[0].mlpLayers, [0, 1, 2]);
    assert.deepEqual(g[1].mlpLayers, [3, 4, 5]);
    assert.ok(g[0].hasPatchEmbed && g[3].hasHead);
  });

  test('block cycles shrink with the token count: linear stages by tokens, the per-head K/V paths too', () => {
    const mlp196 = buildMlpBlock('MLP0', 0, geom(196), HGPIPE_MLP);
    const mlp100 = buildMlpBlock('MLP0', 0, geom(100), HGPIPE_MLP);
    const mac = (b: typeof mlp196) => processCycles(b.processes.find((p) => p.name === 'm1.mac')!);
    assert.equal(mac(mlp196) - 1, (196 / 100) * (mac(mlp100) - 1)); // tt × cot × cit
    const a196 = blockAnalyticInterval(buildAttnBlock('ATTN0', 0, geom(196), HGPIPE_ATTN)).cycles;
    const a98 = blockAnalyticInterval(buildAttnBlock('ATTN0', 0, geom(98), HGPIPE_ATTN)).cycles;
    assert.ok(a98 < 0.55 * a196, `${a98} vs ${a196}`);
  });

  test('the token selector is the IR kind: its cycles and cost come from src/ir and src/cost', () => {
    const attn = buildAttnBlock('ATTN3', 3, geom(196), { ...HGPIPE_ATTN, lnCp: 2, softmaxCp: 2 });
    const { block, info } = selectorFor(attn, { tokensIn: 196, keep: 137, fuse: true, cpOut: 1 }, loadDevice('vck190'));
    const sel = block.processes.filter((p) => p.kind === 'token-select');
    assert.equal(info.tokensOut, 139);
    assert.equal(info.cycles, Math.max(...sel.map(processCycles)));
    // rank side: 98 score beats, histogram (3 heads × 7 + 1 values) + 196 slots, 98 × 96 image beats, 192 divisions;
    // emit side: 70 token pairs × 192 one-channel beats (the slower one here)
    assert.deepEqual(sel.map(processCycles), [1 + (98 + 1) + (22 + 196 + 1) + (98 * 96 + 2) + (192 + 1 + 30), 70 * 192 + 1]);
    assert.equal(block.output.beatsPerImage, 70 * 192);
    assert.equal(info.bufferBits, 2 * 140 * 192 * 15);
    assert.ok(info.resources.lut > 0 && info.resources.uram + info.resources.bram > 0);
  });

  test('a pruned plan is one chained design: token counts shrink at the selections, links match', () => {
    const device = loadDevice('vck190');
    const s = defaultGrid().find((x) => x.name === 'keep 0.5')!;
    const d = prunedNetwork(model, planPruned({ model, device, setting: s }), s, device);
    assert.deepEqual(d.blocks.map((b) => b.name).slice(0, 3), ['PATCH_EMBED', 'ATTN0', 'MLP0']);
    assert.equal(d.blocks.length, 26);
    const selects = d.blocks.filter((b) => b.processes.some((p) => p.kind === 'token-select')).map((b) => b.name);
    assert.deepEqual(selects, ['ATTN3', 'ATTN6', 'ATTN9']);
    const mlpTokens = (n: number) => {
      const ln = d.blocks.find((b) => b.name === `MLP${n}`)!.processes.find((p) => p.kind === 'layernorm') as { tt: number; tp: number };
      return ln.tt * ln.tp;
    };
    assert.deepEqual([2, 3, 6, 9].map(mlpTokens), [196, 100, 52, 28]);
  });

  test('a deadlocking pruned chain is reported, not waited for', () => {
    const g = { ...geom(28), width: 48, mlpHidden: 192 };
    const attn = withTokenSelection(buildAttnBlock('ATTN0', 0, g, HGPIPE_ATTN), { tokensIn: 28, keep: 12, fuse: true, cpOut: 1 });
    // the attention block's residual FIFOs cut to 8 beats (as test/sim/deadlock does for HG-PIPE's design)
    const cut = { ...attn, streams: attn.streams.map((st) => (st.name.startsWith('resi') ? { ...st, depth: 8 } : st)) };
    const r = simulatePruned({ name: 'cut', model: 'tiny', blocks: [cut, buildMlpBlock('MLP0', 0, { ...g, tokens: 14 }, HGPIPE_MLP)], linkDepth: 128 }, 2, 3000);
    assert.equal(r.completed, false);
    assert.equal(r.steadyInterval, null);
    assert.match(r.deadlock ?? '', /\S/);
  });

  test('the planner turns pruned tokens into a faster design on the same device', () => {
    const device = loadDevice('vck190');
    const grid = defaultGrid();
    const none = planPruned({ model, device, setting: grid[0] });
    const half = planPruned({ model, device, setting: grid.find((s) => s.name === 'keep 0.5')! });
    assert.ok(none.fits && half.fits);
    assert.ok(half.interval < 0.8 * none.interval, `${half.interval} vs ${none.interval}`);
    assert.equal(half.selectors.length, 3);
  });
});
