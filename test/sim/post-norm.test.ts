import { distinctProcessesByKind } from './distinct-processes.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blockAnalyticInterval, buildDesign, hgpipeDesignConfig, processCycles, type Process } from '../../src/ir/index.ts';
import { measureProcess, simulateBlock, simulateChain } from '../../src/sim/index.ts';
import { tinyPostNorm } from '../ir/tiny.ts';

const post = buildDesign(tinyPostNorm(), { ...hgpipeDesignConfig(2), name: 'tiny-post' });
// 8 heads: head-split/merge trees; 4 per shared attention pipeline: weight caches filling 4 heads' tiles
const m8 = { cip: 8, cop: 8 };
const base = hgpipeDesignConfig(2);
const eightHeads = (headsPerUnit: number) => buildDesign(tinyPostNorm({ name: 'tiny-post-8', width: 64, heads: 8 }), {
  ...base,
  name: 'tiny-post-8',
  attn: base.attn.map((a) => ({ ...a, qkv: m8, o: m8, qk: { cip: 4, cop: 7 }, rv: { cip: 7, cop: 4 }, headsPerUnit })),
  mlp: base.mlp.map((m) => ({ ...m, fc1: m8, fc2: m8 })),
});
const trees = eightHeads(1);
const shared = eightHeads(4);

describe('estimate = simulation for post-norm blocks: each process alone takes its analytic cycles per image', () => {
  const byKind = distinctProcessesByKind([...post.blocks.slice(1, 5), trees.blocks[1], ...shared.blocks.slice(1, 3)]);
  for (const [kind, procs] of byKind)
    it(`${kind} (${procs.length} distinct configurations)`, () => {
      for (const p of procs) {
        const c = processCycles(p);
        assert.deepEqual(measureProcess(p, 3).cyclesPerInvocation, [c, c, c], p.name);
      }
    });
});

describe('post-norm blocks under the simulator', () => {
  it('run alone at their analytic interval (with and without the input requantizer, shared heads)', () => {
    for (const b of [...post.blocks.slice(1, 5), trees.blocks[1], ...shared.blocks.slice(1, 3)]) {
      const r = simulateBlock(b, 3);
      assert.equal(r.deadlock, null, b.name);
      assert.equal(r.steadyInterval, blockAnalyticInterval(b).cycles, `${b.name} of ${b.processes.length} processes`);
    }
  });
  it('event skipping changes no result (fast engine = per-cycle reference stepper)', () => {
    const blocks = post.blocks.slice(0, 3);
    const fast = simulateChain(blocks, 128, { images: 2, memo: false });
    const ref = simulateChain(blocks, 128, { images: 2, engine: 'reference' });
    assert.equal(fast.completed, true);
    assert.deepEqual({ ...fast, steps: 0, compiledSteps: 0 }, { ...ref, steps: 0, compiledSteps: 0 });
  });
});
