import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HGPIPE_ATTN, HGPIPE_MLP, buildBlock } from '../../src/ir/index.ts';
import { MODEL_ZOO } from '../../src/model/index.ts';
import { simulateChain } from '../../src/sim/index.ts';

const model = MODEL_ZOO['hgpipe-deit-tiny'];

describe('deadlock diagnosis', () => {
  it('attention residual FIFO cut from 12,288 to 512: a wait-for cycle through the residual path and the K cache', () => {
    const b = buildBlock(model, 'ATTN0', 0, { ...HGPIPE_ATTN, fifo: { ...HGPIPE_ATTN.fifo, resi: 512 } });
    const r = simulateChain([b], 128, { images: 2 });
    assert.equal(r.completed, false);
    const dl = r.deadlock!;
    const hops = dl.waitCycle.map((h) => `${h.process}|${h.fifo}|${h.on}`);
    // The residual path is full all the way back to the fork…
    assert.ok(hops.includes('ATTN0.stream_copy2|ATTN0.resi_i_sm|full'), hops.join('\n'));
    assert.ok(hops.includes('ATTN0.resi_i_adapter|ATTN0.resi_sm|full'));
    assert.ok(hops.includes('ATTN0.stream_merge|ATTN0.o_sm|empty'));
    // …while the main path starves: QKᵀ waits for K tiles that LayerNorm cannot produce without more input.
    assert.ok(hops.some((h) => /qk\d\.cache_weight\|ATTN0\.kq_reshape_head\d\|empty/.test(h)));
    assert.ok(hops.includes('ATTN0.layernorm|ATTN0.main_sm|empty'));
    // The cycle closes: each hop waits for the next hop's process.
    dl.waitCycle.forEach((h, k) => assert.equal(h.waitsFor, dl.waitCycle[(k + 1) % dl.waitCycle.length].process));
    assert.match(dl.message, /^deadlock at cycle \d+: wait-for cycle of \d+ processes\n  ATTN0\.\S+ waits: ATTN0\.\S+ is (full|empty) \(\d+\/\d+\) → ATTN0\./);
    const full = dl.waitCycle.find((h) => h.fifo === 'ATTN0.resi_sm')!;
    assert.deepEqual([full.occupancy, full.depth], [512, 512]);
  });
  it('the original depth does not deadlock', () => {
    const b = buildBlock(model, 'ATTN0', 0, HGPIPE_ATTN);
    const r = simulateChain([b], 128, { images: 1 });
    assert.equal(r.completed, true);
    assert.equal(r.deadlock, null);
  });
  it('MLP residual FIFO of 64 (below the ~300 the LN + fc1 + fc2 latency needs) deadlocks in the residual loop', () => {
    const b = buildBlock(model, 'MLP0', 0, { ...HGPIPE_MLP, fifo: { ...HGPIPE_MLP.fifo, resi: 64 } });
    const r = simulateChain([b], 128, { images: 2 });
    assert.equal(r.completed, false);
    const names = r.deadlock!.waitCycle.map((h) => h.process);
    assert.ok(names.includes('MLP0.stream_copy') && names.includes('MLP0.stream_merge'), names.join(', '));
  });
});
