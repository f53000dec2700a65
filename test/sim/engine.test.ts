import { distinctProcessesByKind } from './distinct-processes.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildDesign, hgpipeDeitTiny, hgpipeDesignConfig, type Process, processCycles } from '../../src/ir/index.ts';
import { measureProcess, simulateChain, type ChainResult } from '../../src/sim/index.ts';
import { TINY } from '../ir/tiny.ts';

/** Everything a run reports except the work counter. */
const observable = (r: ChainResult) => ({ ...r, steps: 0, compiledSteps: 0 });

describe('event skipping changes no result (fast engine = per-cycle reference stepper)', () => {
  const tiny = buildDesign(TINY, { ...hgpipeDesignConfig(2), name: 'tiny' });
  for (const engineCase of [
    { what: 'a small whole network (6 blocks, 3 images)', blocks: tiny.blocks, images: 3 },
    { what: 'HG-PIPE HEAD alone (3 images)', blocks: [hgpipeDeitTiny().blocks[25]], images: 3 },
  ])
    it(engineCase.what, () => {
      const fast = simulateChain(engineCase.blocks, 128, { images: engineCase.images, timelineBins: 50 });
      const ref = simulateChain(engineCase.blocks, 128, { images: engineCase.images, engine: 'reference', timelineBins: 50 });
      assert.equal(fast.completed, true);
      assert.deepEqual(observable(fast), observable(ref));
      assert.ok(fast.steps < ref.steps, `fast ${fast.steps} steps, reference ${ref.steps}`);
    });
  it('a planted deadlock is found identically', () => {
    const b = tiny.blocks[1];
    const cut = { ...b, streams: b.streams.map((s) => (s.name.startsWith('resi_') ? { ...s, depth: 16 } : s)) };
    const fast = simulateChain([cut], 128, { images: 2 });
    const ref = simulateChain([cut], 128, { images: 2, engine: 'reference', maxCycles: fast.simulatedCycles + 50 });
    assert.equal(fast.completed, false);
    assert.equal(ref.completed, false);
    assert.deepEqual(fast.perImage, ref.perImage);
    assert.deepEqual(fast.fifos, ref.fifos);
  });
});

describe('estimate = simulation: each process alone takes its analytic cycles per image (FINN rule)', () => {
  const d = hgpipeDeitTiny();
  const byKind = distinctProcessesByKind([d.blocks[0], d.blocks[1], d.blocks[2], d.blocks[25]]);
  for (const [kind, procs] of byKind)
    it(`${kind} (${procs.length} distinct configurations)`, () => {
      for (const p of procs) {
        const m = measureProcess(p, 3);
        assert.deepEqual(m.cyclesPerInvocation, [processCycles(p), processCycles(p), processCycles(p)], p.name);
      }
    });
});
