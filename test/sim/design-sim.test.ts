import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildDesign, hgpipeDesignConfig } from '../../src/ir/index.ts';
import { type DesignSimResult, simulateChain, simulateDesign, simulateDesignConcurrently } from '../../src/sim/index.ts';
import { TINY } from '../ir/tiny.ts';

const tiny = buildDesign(TINY, { ...hgpipeDesignConfig(2), name: 'tiny' });
// Everything but wall-clock fields and the object holding the raw chain (compared through the figures taken from it).
const figures = (r: DesignSimResult) => JSON.stringify({ ...r, wallSeconds: 0, network: r.network && { ...r.network, chain: null, memo: r.network.chain.memo?.replayed } });

describe('design simulation', () => {
  it('with the blocks alone on a second thread gives exactly the one-thread results', async () => {
    const one = simulateDesign(tiny, { images: 3 });
    const two = await simulateDesignConcurrently(tiny, { images: 3, threads: 2 });
    assert.equal(figures(two), figures(one));
    // Blocks of one structure are simulated once and counted once.
    assert.ok(one.blocks.some((b) => b.sameAs !== null));
    const own = one.blocks.filter((b) => b.sameAs === null).reduce((a, b) => a + b.simulatedCycles, 0);
    assert.equal(one.simulatedCycles, own + one.network!.simulatedCycles);
  });

  it('reports progress in simulated cycles during a long run', () => {
    const seen: number[] = [];
    const r = simulateChain(tiny.blocks, tiny.linkDepth, { images: 100, memo: false, onCycle: (c) => seen.push(c) });
    assert.ok(seen.length >= Math.floor(r.simulatedCycles / 65536) - 1 && seen.length >= 2, `${seen.length} reports for ${r.simulatedCycles} cycles`);
    assert.ok(seen.every((c, i) => i === 0 || c - seen[i - 1] >= 65536));
  });
});
