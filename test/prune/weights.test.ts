import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pruneWeightBlocks, tileOccupancy } from '../../src/prune/index.ts';

/** A deterministic pseudo-random 3-bit matrix. */
function matrix(co: number, ci: number, seed = 1): Int32Array {
  let s = seed;
  return Int32Array.from({ length: co * ci }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s >> 16) % 7 - 3;
  });
}

function blockL1(w: Int32Array, co: number, ci: number, b: number): number[] {
  const cols = Math.ceil(ci / b);
  const l1 = new Array(Math.ceil(co / b) * cols).fill(0);
  for (let o = 0; o < co; o++) for (let i = 0; i < ci; i++) l1[Math.floor(o / b) * cols + Math.floor(i / b)] += Math.abs(w[o * ci + i]);
  return l1;
}

describe('weight-block pruning', () => {
  test('reaches the target density and zeroes exactly the pruned blocks', () => {
    const co = 64;
    const ci = 192;
    const w = matrix(co, ci);
    for (const density of [0.9, 0.75, 0.5]) {
      const r = pruneWeightBlocks(w, co, ci, 16, density);
      assert.equal(r.total, 48);
      assert.equal(r.kept, Math.ceil(density * 48));
      assert.equal(r.mask.reduce((s, v) => s + v, 0), r.kept);
      const after = blockL1(r.weights, co, ci, 16);
      r.mask.forEach((m, b) => (m ? assert.ok(after[b] > 0) : assert.equal(after[b], 0)));
      // kept weights are untouched
      for (let k = 0; k < w.length; k++) if (r.weights[k] !== 0) assert.equal(r.weights[k], w[k]);
    }
  });

  test('picks the lowest-L1 blocks, ties to the higher block index', () => {
    const co = 32;
    const ci = 48; // 2 × 3 blocks of 16
    const w = matrix(co, ci, 7);
    const before = blockL1(w, co, ci, 16);
    const r = pruneWeightBlocks(w, co, ci, 16, 0.5);
    const keptL1 = before.filter((_, b) => r.mask[b]);
    const prunedL1 = before.filter((_, b) => !r.mask[b]);
    assert.ok(Math.min(...keptL1) >= Math.max(...prunedL1));
    // all blocks equal: the lower block indices are kept
    const flat = new Int32Array(co * ci).fill(1);
    assert.deepEqual([...pruneWeightBlocks(flat, co, ci, 16, 0.5).mask], [1, 1, 1, 0, 0, 0]);
    // deterministic
    assert.deepEqual(pruneWeightBlocks(w, co, ci, 16, 0.5).weights, r.weights);
  });

  test('tile occupancy: all-zero tiles are skipped, empty rows still cost one iteration', () => {
    const co = 32;
    const ci = 32;
    const w = new Int32Array(co * ci).fill(1);
    const r = pruneWeightBlocks(w, co, ci, 16, 0.5); // blocks (0,0) and (0,1) kept: output rows 16..31 are empty
    const t = tileOccupancy(r.weights, co, ci, 8, 8);
    assert.equal(t.denseTiles, 16);
    assert.equal(t.storedTiles, 8);
    assert.equal(t.iterations, 8 + 2); // two empty tile rows, one iteration each
    assert.deepEqual(tileOccupancy(w, co, ci, 8, 8), { iterations: 16, storedTiles: 16, denseTiles: 16 });
  });
});
