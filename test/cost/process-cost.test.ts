import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEVICES, PROCESS_COST, estimateBlock, macArrayCost, rebindToUram, res } from '../../src/cost/index.ts';
import { HGPIPE_MLP, PROCESS_KINDS, buildBlock } from '../../src/ir/index.ts';
import { MODEL_ZOO } from '../../src/model/index.ts';

describe('resource model per process kind', () => {
  it('prices every IR process kind', () => {
    assert.deepEqual(Object.keys(PROCESS_COST).sort(), [...PROCESS_KINDS].sort());
  });

  it('grows with parallelism: doubling fc1 and fc2 MACs adds LUTs and weight-ROM BRAM', () => {
    const tiny = MODEL_ZOO['hgpipe-deit-tiny'];
    const base = estimateBlock(buildBlock(tiny, 'MLP0', 0, HGPIPE_MLP), DEVICES.vck190).resources;
    const wide = estimateBlock(buildBlock(tiny, 'MLP0', 0, { ...HGPIPE_MLP, fc1: { cip: 24, cop: 24 }, fc2: { cip: 48, cop: 12 } }), DEVICES.vck190).resources;
    assert.ok(wide.lut > base.lut * 1.4, `${wide.lut} vs ${base.lut}`);
    assert.ok(wide.bram > base.bram);
  });

  it('puts wide-operand arrays on DSPs with the post-adder absorbing the first tree level', () => {
    const lut = macArrayCost({ products: 512, lanes: 32, weightBits: 8, actBits: 8, accBits: 21, useDsp: false });
    const dsp = macArrayCost({ products: 512, lanes: 32, weightBits: 8, actBits: 8, accBits: 21, useDsp: true });
    assert.equal(dsp.mult.dsp, 512);
    assert.equal(lut.mult.dsp, 0);
    assert.ok(dsp.reduce.lut < lut.reduce.lut);
  });

  it('moves BRAM memories to URAM only when the BRAM does not fit, and ROMs only on Versal', () => {
    const mem = { process: 'w', what: 'weights' as const, depth: 384, width: 1152, rom: true, bram: 16, uram: 16, lut: 0, block: 'MLP0', count: 100 };
    const fits = rebindToUram(res({ bram: 500 }), [mem], DEVICES.vck190);
    assert.equal(fits.moved.length, 0);
    const over = rebindToUram(res({ bram: 1200 }), [mem], DEVICES.vck190);
    assert.ok(over.resources.bram <= 967);
    assert.equal(rebindToUram(res({ bram: 1200 }), [mem], DEVICES.zcu104).moved.length, 0);
  });
});
