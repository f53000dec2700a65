import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { type Block, buildDesign, hgpipeDeitTiny, hgpipeDesignConfig } from '../../src/ir/index.ts';
import { type ChainResult, elaborate, simulateChain } from '../../src/sim/index.ts';
import { TINY } from '../ir/tiny.ts';

/**
 * The optimised hot path (flat pipe store, strided FIFO records, steady access tables) must change no result.
 * Two checks per case: the fast engine equals the per-cycle reference stepper (which reads every pipeline stage
 * instead of the steady table), and both equal a digest of the same run made with the simulator as it was before
 * the optimisation (commit 147afa3: object-per-pipeline, polymorphic steps).
 */
const observable = (r: ChainResult) => {
  const { completed, perImage, steadyInterval, outputIntervals, inputIntervals, extraInputBeats, simulatedCycles, processes, fifos, blockWindows, deadlock, timeline } = r;
  return { completed, perImage, steadyInterval, outputIntervals, inputIntervals, extraInputBeats, simulatedCycles, processes, fifos, blockWindows, deadlock, timeline };
};
const digest = (r: ChainResult) => createHash('sha256').update(JSON.stringify(observable(r))).digest('hex').slice(0, 16);

const tiny = buildDesign(TINY, { ...hgpipeDesignConfig(2), name: 'tiny' });
const byName = (blocks: Block[], n: string) => blocks.find((b) => b.name === n)!;
const cutResidual = (b: Block): Block => ({ ...b, streams: b.streams.map((s) => (s.name.startsWith('resi_') ? { ...s, depth: 16 } : s)) });

const CASES: Array<{ what: string; blocks: Block[]; images: number; timelineBins?: number; before: string; cycles: number }> = [
  { what: 'patch embed alone', blocks: [byName(tiny.blocks, 'PATCH_EMBED')], images: 3, before: '444b4718bcae423b', cycles: 4101 },
  { what: 'attention alone', blocks: [byName(tiny.blocks, 'ATTN0')], images: 3, before: '4229fbc3d35507e2', cycles: 8919 },
  { what: 'MLP alone', blocks: [byName(tiny.blocks, 'MLP0')], images: 3, before: '3258879775ec4f4c', cycles: 6490 },
  { what: 'head alone', blocks: [byName(tiny.blocks, 'HEAD')], images: 3, before: '1a49811d89f55b52', cycles: 1615 },
  { what: 'a chain of all 6 blocks with a timeline', blocks: tiny.blocks, images: 3, timelineBins: 50, before: '178aff1089de38a5', cycles: 11841 },
  { what: 'a planted deadlock (attention residual FIFOs of 16)', blocks: [cutResidual(byName(tiny.blocks, 'ATTN0'))], images: 2, before: 'c1c1df6c77522736', cycles: 168 },
];

describe('fast path = reference stepper = simulator before the optimisation', () => {
  for (const c of CASES)
    it(c.what, () => {
      const fast = simulateChain(c.blocks, 128, { images: c.images, timelineBins: c.timelineBins });
      const ref = simulateChain(c.blocks, 128, { images: c.images, timelineBins: c.timelineBins, engine: 'reference', maxCycles: fast.completed ? undefined : fast.simulatedCycles });
      assert.equal(fast.simulatedCycles, c.cycles);
      if (fast.completed) assert.deepEqual(observable(fast), observable(ref));
      else {
        // The reference stepper has no event queue: it only stops at maxCycles, so compare what it reached.
        assert.equal(ref.completed, false);
        assert.deepEqual(fast.fifos, ref.fifos);
        assert.deepEqual(fast.deadlock!.waitCycle, ref.deadlock!.waitCycle);
      }
      assert.equal(digest(fast), c.before);
    });
  it('HG-PIPE MLP0 alone, 2 images (114,481 cycles)', () => {
    const r = simulateChain([byName(hgpipeDeitTiny().blocks, 'MLP0')], 128, { images: 2 });
    assert.equal(r.simulatedCycles, 114481);
    assert.equal(digest(r), '2e16ebe1a6125916');
  });
});

describe('patience (blocked processes stay awake a few cycles) changes no result', () => {
  it('tiny MLP alone, 3 images: same per-process cycles and output beats with patience 0 and 5', () => {
    const b = byName(tiny.blocks, 'MLP0');
    const runWith = (patience: number) => {
      // The scheduler's own patience, on the JavaScript path (the compiled kernel's is tested in kernel.test.ts).
      const e = elaborate([b], 128, true, Infinity, undefined, { compiled: false });
      e.sim.patience = patience;
      const target = 3 * b.output.beatsPerImage;
      assert.equal(e.sim.run(() => e.sink.beats >= target), true);
      e.sim.finish();
      return { now: e.sim.now, lastOut: [...e.sink.last], stats: [...e.sim.stats], steps: e.sim.steps };
    };
    const plain = runWith(0);
    const patient = runWith(5);
    assert.deepEqual({ ...patient, steps: 0 }, { ...plain, steps: 0 });
    assert.ok(patient.steps > plain.steps);
  });
});
