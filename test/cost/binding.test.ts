import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DESIGN_BINDING, DEVICES, costContext, estimateDesign, processCost, rebindToUram, res, romInUram } from '../../src/cost/index.ts';
import { buildDesign, hgpipeDesignConfig, type RequantProcess } from '../../src/ir/index.ts';
import { tinyPostNorm } from '../ir/tiny.ts';

const weights = { process: 'q.mac', what: 'weights' as const, depth: 4096, width: 64, rom: true, bram: 4, uram: 1, lut: 0, block: 'attn', count: 6 };

describe('memory binding uses the UltraRAM a device has', () => {
  it('ROMs may move to UltraScale+ URAM, loaded once at start-up (Versal initialises them from the bitstream)', () => {
    assert.deepEqual(romInUram(DEVICES.kv260, DESIGN_BINDING), { allowed: true, loadAtStart: true });
    assert.deepEqual(romInUram(DEVICES.vck190, DESIGN_BINDING), { allowed: true, loadAtStart: false });
    assert.deepEqual(romInUram(DEVICES.zcu102, DESIGN_BINDING), { allowed: false, loadAtStart: false }, 'no URAM on the ZU9EG');
    const kv = rebindToUram(res({ bram: 150 }), [weights], DEVICES.kv260, 0.9, DESIGN_BINDING);
    assert.equal(kv.moved.length, 1);
    assert.equal(kv.moved[0].loadAtStart, true);
    assert.ok(kv.resources.bram <= 144 * 0.9 && kv.resources.uram <= 64 * 0.9);
    const versal = rebindToUram(res({ bram: 1000 }), [weights], DEVICES.vck190, 0.9, DESIGN_BINDING);
    assert.equal(versal.moved[0].loadAtStart, undefined);
    // without the start-up load, UltraScale+ keeps its ROMs in BRAM (the conservative default of the pass itself)
    assert.equal(rebindToUram(res({ bram: 150 }), [weights], DEVICES.kv260, 0.9).moved.length, 0);
  });

  it('a post-norm design too big for the KV260’s BRAM moves RAMs and ROMs (large tables) to its 64 URAMs', () => {
    const d = buildDesign(tinyPostNorm({ depth: 4 }), { ...hgpipeDesignConfig(4), name: 'tiny-post' });
    const e = estimateDesign(d, DEVICES.kv260);
    const raw = estimateDesign(d, { ...DEVICES.kv260, capacity: { ...DEVICES.kv260.capacity, bram: 1e6 } });
    assert.ok(raw.total.bram > 144 * 0.9, `needs ${raw.total.bram} BRAM36 before binding`);
    assert.ok(e.total.bram <= 144 * 0.9, `${e.total.bram} BRAM36 after binding`);
    assert.ok(e.total.uram > 0 && e.total.uram <= 64 * 0.9);
    const roms = e.movedToUram.filter((m) => m.rom);
    assert.ok(roms.length > 0, 'ROMs moved');
    assert.ok(roms.every((m) => m.loadAtStart === true), 'each written at start-up');
    assert.ok(e.movedToUram.filter((m) => !m.rom).every((m) => m.loadAtStart === undefined));
  });

  it('charges a quantized model’s large tables as BRAM ROMs (two lanes per copy); HG-PIPE’s 64-entry tables stay LUT-ROMs', () => {
    const d = buildDesign(tinyPostNorm(), { ...hgpipeDesignConfig(2), name: 'tiny-post' });
    const mlp = d.blocks.find((b) => b.name === 'MLP0')!;
    const act = mlp.processes.find((p): p is RequantProcess => p.kind === 'requant' && p.fn === 'relu')!;
    const ctx = costContext(mlp, DEVICES.zcu102);
    assert.equal(act.lanes, 4);
    const big = processCost(act, ctx);
    const small = processCost({ ...act, tableEntries: 64 }, ctx);
    assert.equal(big.bram, 2 * 0.5, '1,200 × 8 bits: one 18-Kb ROM per two lanes');
    assert.equal(small.bram, 0);
    assert.ok(small.lut > 4 * 8, 'a LUT-ROM per lane');
  });
});
