import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEVICES } from '../../src/cost/index.ts';
import { blockAnalyticInterval, hgpipeDeitTiny, processCycles, validateBlock } from '../../src/ir/index.ts';
import { MODEL_ZOO } from '../../src/model/index.ts';
import { assembleBlock, configsOf, geometryOf, HGPIPE_CHOICE, paretoFront, plan, sweep } from '../../src/plan/index.ts';
import { paretoSvg } from '../../src/report/pareto-svg.ts';

const tiny = MODEL_ZOO['hgpipe-deit-tiny'];
const hgpipeInterval = Math.max(...hgpipeDeitTiny().blocks.map((b) => blockAnalyticInterval(b).cycles));

describe('planner on hgpipe-deit-tiny / VCK190 (analytic)', () => {
  const r = plan({ model: tiny, device: DEVICES.vck190, verify: false });

  it('fits and beats HG-PIPE’s own configuration by at least 20 %', () => {
    assert.equal(r.fits, true);
    assert.equal(r.shortfall, null);
    assert.equal(hgpipeInterval, 57_625);
    assert.ok(r.analyticInterval * 1.2 <= hgpipeInterval, `interval ${r.analyticInterval}`);
    for (const k of ['lut', 'ff', 'dsp', 'bram', 'uram'] as const) assert.ok(r.resources[k] <= DEVICES.vck190.capacity[k] * 0.9, k);
  });

  it('builds a valid design whose MAC stages are balanced to the interval', () => {
    assert.ok(r.design);
    for (const b of r.design.blocks) validateBlock(b);
    const macs = r.design.blocks.flatMap((b) => b.processes.filter((p) => p.kind === 'mac'));
    for (const p of macs) {
      const c = processCycles(p);
      assert.ok(c <= r.analyticInterval, `${p.name} ${c}`);
      assert.ok(c >= 0.6 * r.analyticInterval, `${p.name} is much faster than the bottleneck: ${c} vs ${r.analyticInterval}`);
    }
  });

  it('with a target picks the smallest design reaching it', () => {
    const t = plan({ model: tiny, device: DEVICES.vck190, verify: false, targetFps: 5000 });
    assert.equal(t.objective, 'target-fps');
    assert.ok(t.fits);
    assert.ok(t.imagesPerSecond >= 5000);
    assert.ok(t.resources.lut < r.resources.lut);
  });
});

describe('planner answers', () => {
  it('says clearly why HG-PIPE’s DeiT-tiny does not fit a KV260', () => {
    const r = plan({ model: tiny, device: DEVICES.kv260, verify: false });
    assert.equal(r.fits, false);
    assert.ok(r.shortfall);
    assert.equal(r.shortfall.resource, 'bram');
    assert.match(r.shortfall.message, /^needs [\d.]+ (k )?BRAM36, device kv260 has 144/);
    assert.ok(r.shortfall.shrink.length > 0 && r.shortfall.memories.length > 0);
  });

  it('runs 197-token DeiT as 198 token slots', () => {
    const r = plan({ model: MODEL_ZOO['deit-tiny'], device: DEVICES.vck190, verify: false });
    assert.equal(r.tokensRun, 198);
    assert.ok(r.fits);
  });

  it('an unreachable target names the fastest design instead', () => {
    const r = plan({ model: tiny, device: DEVICES.vck190, verify: false, targetFps: 1_000_000 });
    assert.equal(r.fits, false);
    assert.match(r.shortfall!.message, /needs ≤ 425 cycles per image/);
  });
});

describe('design space pieces', () => {
  it('inserts a narrowing adapter before each K/V serialiser at 2 channels per beat', () => {
    const g = geometryOf(tiny);
    const b = assembleBlock(tiny, configsOf(g, 2, { ...HGPIPE_CHOICE, softmaxCp: 2, qk: { cip: 4, cop: 14 }, rv: { cip: 14, cop: 4 } }, tiny), 'attn');
    validateBlock(b);
    assert.equal(b.processes.filter((p) => p.name.endsWith('.narrow')).length, 6);
  });

  it('sweeps a Pareto front that is monotone and renders as SVG', () => {
    const front = paretoFront(sweep(tiny, DEVICES.vck190, { maxUtilization: 0.9 }));
    assert.ok(front.length > 5);
    for (let i = 1; i < front.length; i++) {
      assert.ok(front[i].interval > front[i - 1].interval);
      assert.ok(front[i].resources.lut < front[i - 1].resources.lut);
    }
    const svg = paretoSvg(front.map((c) => ({ lut: c.resources.lut, imagesPerSecond: 425e6 / c.interval, fits: c.fits })), { title: 't', lutCapacity: 899_840 });
    assert.match(svg, /^<svg /);
    assert.equal(svg.match(/<circle /g)?.length, front.length);
  });
});

describe('plan: a geometry nothing can be built for', () => {
  it('is a BAD_MODEL error naming the model and its geometry, not an internal error', () => {
    const model = { ...MODEL_ZOO['deit-tiny'], width: 3 };
    assert.throws(() => plan({ model, device: DEVICES.vck190 }), (e: Error & { diagnostic?: { code: string } }) => {
      assert.equal(e.diagnostic?.code, 'BAD_MODEL');
      assert.match(e.message, /model deit-tiny: vitpipe can build no pipeline for this geometry \(width 3, 3 heads, 197 tokens\)/);
      return true;
    });
  });
});
