import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadDevice } from '../../src/cost/index.ts';
import { HGPIPE_ATTN, HGPIPE_MLP, buildAttnBlock, buildMlpBlock, blockAnalyticInterval, processCycles } from '../../src/ir/index.ts';
import { MODEL_ZOO } from '../../src/model/index.ts';
import { defaultGrid, planPruned, selectorModel, tokenGroups } from '../../src/prune/index.ts';

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

  test('the token selector holds a whole image and streams it out at the output width', () => {
    const s = selectorModel({ after: 'ATTN3', tokensIn: 196, tokensOut: 140, width: 192, heads: 3, actBits: 3, residualBits: 15, tp: 2, lnCpIn: 2, lnCpOut: 1, fuse: true, uramAvailable: true });
    assert.equal(s.inBeats, 98 * 96);
    assert.equal(s.outBeats, 70 * 192);
    assert.equal(s.bufferBits, 2 * 196 * 192 * 15);
    assert.equal(s.rankCycles, 195 + 22 + 4);
    assert.equal(s.cycles, Math.max(98 * 96 + s.rankCycles, 98 * 192 + 192 + 24) + 1);
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
