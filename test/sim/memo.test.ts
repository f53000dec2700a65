import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildDesign, hgpipeDesignConfig } from '../../src/ir/index.ts';
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

  it('is off for single blocks, timelines and the reference engine', () => {
    assert.equal(simulateChain([tiny.blocks[1]], 128, { images: 3 }).memo, null);
    assert.equal(simulateChain(tiny.blocks, 128, { images: 3, timelineBins: 10 }).memo, null);
    assert.equal(simulateChain(tiny.blocks, 128, { images: 3, engine: 'reference' }).memo, null);
  });
});
