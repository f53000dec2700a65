import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildDesign, hgpipeDeitTiny, hgpipeDesignConfig, structuralKey } from '../../src/ir/index.ts';
import { elaborate } from '../../src/sim/elaborate.ts';
import { type ChainResult, simulateChain } from '../../src/sim/index.ts';
import { TINY } from '../ir/tiny.ts';

/**
 * Memoised runs (src/sim/memo.ts) replace blocks that repeat earlier behaviour by replays of their boundary beats.
 * Every beat on every block boundary must come out on the same cycle as in the plain run, whether the replays held
 * or diverged and were rolled back.
 */
const timing = (r: ChainResult) => {
  const { completed, perImage, steadyInterval, outputIntervals, inputIntervals, extraInputBeats, simulatedCycles, blockWindows, deadlock } = r;
  return { completed, perImage, steadyInterval, outputIntervals, inputIntervals, extraInputBeats, simulatedCycles, blockWindows, deadlock };
};

const tiny = buildDesign(TINY, { ...hgpipeDesignConfig(2), name: 'tiny' });
const hgpipe = hgpipeDeitTiny();
const IMAGES = 14;

describe('memoised simulation', () => {
  const plain = simulateChain(tiny.blocks, tiny.linkDepth, { images: IMAGES, memo: false });

  it('replays blocks once they repeat themselves, with the same boundary timing as the plain run', () => {
    const memo = simulateChain(tiny.blocks, tiny.linkDepth, { images: IMAGES });
    assert.ok(memo.memo, 'a network run is memoised by default');
    assert.ok(memo.memo.replayed.length >= 3, `replayed ${memo.memo.replayed.map((r) => r.block).join(', ')}`);
    assert.ok(memo.steps < plain.steps, `steps ${memo.steps} vs ${plain.steps}`);
    assert.deepEqual(timing(memo), timing(plain));
  });

  it('goes on with the replayers alone once every block is replayed, with the same timing', () => {
    const memo = simulateChain(tiny.blocks, tiny.linkDepth, { images: IMAGES });
    assert.equal(memo.memo?.replayed.length, tiny.blocks.length);
    const from = memo.memo.allReplayedFrom;
    assert.ok(from !== null && from < memo.simulatedCycles - 1000, `replay phase from ${from} of ${memo.simulatedCycles} cycles`);
    assert.deepEqual(timing(memo), timing(plain));
  });

  it('writes the rest of the run down once it repeats itself: the same results as replaying or simulating it', () => {
    const images = 30;
    const down = simulateChain(tiny.blocks, tiny.linkDepth, { images });
    const replayed = simulateChain(tiny.blocks, tiny.linkDepth, { images, periodicEnd: false });
    const full = simulateChain(tiny.blocks, tiny.linkDepth, { images, memo: false });
    assert.ok(down.memo?.periodicFrom, 'the periodic end is reached');
    assert.ok(down.memo.periodicFrom.cycle < down.simulatedCycles - 2 * down.memo.periodicFrom.period, `from ${down.memo.periodicFrom.cycle} of ${down.simulatedCycles}`);
    assert.equal(replayed.memo?.periodicFrom, null);
    assert.ok(down.steps < replayed.steps, `steps ${down.steps} vs ${replayed.steps}`);
    // Everything but step counts, down to the replayed blocks' statistics and every FIFO's peak.
    const results = (r: ChainResult) => ({ ...r, steps: 0, compiledSteps: 0, memo: r.memo && { ...r.memo, snapshotSeconds: 0, periodicFrom: null } });
    assert.deepEqual(results(down), results(replayed));
    assert.deepEqual(timing(down), timing(full));
    assert.deepEqual(down.fifos, full.fifos);
  });

  it('does not write down a run whose input runs out', () => {
    const beats = 20 * tiny.blocks[0].input.beatsPerImage;
    const limited = simulateChain(tiny.blocks, tiny.linkDepth, { images: 12, inputBeats: beats });
    assert.equal(limited.memo?.periodicFrom, null);
    assert.deepEqual(timing(limited), timing(simulateChain(tiny.blocks, tiny.linkDepth, { images: 12, inputBeats: beats, memo: false })));
  });

  it('rolls back replays that diverge (loose gate) and still gives the same timing', () => {
    const loose = simulateChain(tiny.blocks, tiny.linkDepth, { images: IMAGES, memoGate: { firstEntry: 0, images: 0 } });
    assert.ok(loose.memo);
    assert.ok(loose.memo.rollbacks > 0, 'a loose gate must provoke divergences');
    assert.deepEqual(timing(loose), timing(plain));
  });

  it('reports a planted deadlock exactly as the plain run does', () => {
    const cut = tiny.blocks.map((b) => (b.name === 'ATTN1' ? { ...b, streams: b.streams.map((s) => (s.name.startsWith('resi_') ? { ...s, depth: 16 } : s)) } : b));
    const memo = simulateChain(cut, tiny.linkDepth, { images: IMAGES, maxCycles: 2e5 });
    const full = simulateChain(cut, tiny.linkDepth, { images: IMAGES, maxCycles: 2e5, memo: false });
    assert.equal(memo.completed, false);
    assert.ok(memo.deadlock);
    assert.deepEqual(timing(memo), timing(full));
  });

  it('reports every checkpoint with the parts of the compared state (transient analyses)', () => {
    const e = elaborate(tiny.blocks, tiny.linkDepth, true, undefined, { shapeOf: (b) => structuralKey(b), gate: { firstEntry: Infinity, images: 1 } });
    const memo = e.memo!;
    const seen = memo.cells.map(() => [] as number[]);
    memo.onCheckpoint = (k, idx, c) => {
      seen[k].push(idx);
      const parts = memo.cellState(memo.cells[k], c);
      // One part per process, per own FIFO and the input boundary, then the output boundary's occupancy.
      assert.equal(parts.length, memo.cells[k].procs.length + memo.cells[k].fifos.length + 2);
      assert.equal(memo.digest(memo.cells[k], c), [memo.cells[k].shape, ...parts.flat()].join(','));
    };
    const target = 4 * tiny.blocks[tiny.blocks.length - 1].output.beatsPerImage;
    assert.ok(e.sim.run(() => e.sink.beats >= target, 1e7));
    for (const [k, idx] of seen.entries()) {
      assert.ok(idx.length >= 4, `${memo.cells[k].name}: ${idx.length} checkpoints`);
      assert.deepEqual(idx, idx.map((_, i) => i));
    }
  });

  it('snapshots see every field: all instances of a process class have the same fields (snapshot.ts reads them once per class)', () => {
    const e = elaborate(hgpipe.blocks, hgpipe.linkDepth, true, undefined, { shapeOf: (b) => structuralKey(b) });
    const objects = [...e.sim.procs, ...e.sim.procs.map((p) => p.start).filter((x) => x !== undefined)];
    const keysOf = new Map<unknown, string>();
    for (const o of objects) {
      const keys = Object.keys(o).join(',');
      assert.equal(keysOf.get(o.constructor) ?? keys, keys, `${o.constructor.name}: fields differ between instances`);
      keysOf.set(o.constructor, keys);
    }
  });

  it('is off for single blocks, timelines and the reference engine', () => {
    assert.equal(simulateChain([tiny.blocks[1]], 128, { images: 3 }).memo, null);
    assert.equal(simulateChain(tiny.blocks, 128, { images: 3, timelineBins: 10 }).memo, null);
    assert.equal(simulateChain(tiny.blocks, 128, { images: 3, engine: 'reference' }).memo, null);
  });
});
