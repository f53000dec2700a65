import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildDesign, hgpipeDesignConfig } from '../../src/ir/index.ts';
import { fifoMemory, simulateChain, sizeFifos, sizeFifosConcurrently } from '../../src/sim/index.ts';
import { TINY } from '../ir/tiny.ts';

describe('FIFO sizing', () => {
  const d = buildDesign(TINY, { ...hgpipeDesignConfig(2), name: 'tiny' });
  it('peak-occupancy depths leave every block cycle-for-cycle unchanged', () => {
    const r = sizeFifos(d, { searchBits: Infinity });
    for (const v of r.verification) {
      assert.equal(v.sizedInterval, v.interval, v.block);
      assert.equal(v.sizedLatency, v.latency, v.block);
      assert.equal(v.deadlock, false);
    }
    assert.ok(r.totals.savedBits > 0);
    for (const f of r.fifos) assert.ok(f.sized <= f.original && f.sized >= 1, f.stream);
    // The deep FIFOs sized for DeiT-tiny's 196 tokens shrink to what 28 tokens need.
    const resi = r.fifos.find((f) => f.kind === 'attn' && f.stream === 'resi_sm')!;
    assert.ok(resi.sized < 1000, `resi_sm ${resi.sized}`);
  });
  it('the search keeps the interval, and the sized network runs at the same interval', () => {
    const r = sizeFifos(d, { searchBits: 256 });
    for (const v of r.verification) assert.ok(!v.deadlock && v.sizedInterval <= v.interval, v.block);
    const before = simulateChain(d.blocks, d.linkDepth, { images: 4 });
    const after = simulateChain(r.sized.blocks, d.linkDepth, { images: 4 });
    assert.equal(after.completed, true);
    assert.equal(after.steadyInterval, before.steadyInterval);
    assert.match(r.method, /binary search/);
  });
  it('sized over two threads gives exactly the one-thread result', async () => {
    const one = sizeFifos(d, { searchBits: 256 });
    const two = await sizeFifosConcurrently(d, { searchBits: 256, threads: 2 });
    assert.deepEqual(two, one);
    assert.ok(one.fifos.some((f) => f.method === 'search'), 'the search ran');
  });
  it('costs memory FIFOs in 18-Kb BRAM halves and small ones in LUTRAM', () => {
    assert.deepEqual(fifoMemory(12288, 52, 'memory'), { bits: 12288 * 52, bram18: 36, lutram64: 0 });
    assert.deepEqual(fifoMemory(512, 30, 'memory'), { bits: 15360, bram18: 1, lutram64: 0 });
    assert.deepEqual(fifoMemory(2, 48, 'shift-register'), { bits: 96, bram18: 0, lutram64: 48 });
  });
});
