import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  blockAnalyticInterval, buildDesign, hgpipeDesignConfig, processCycles, withSparseMatmul, type MacProcess, type TileSparsity,
} from '../../src/ir/index.ts';
import { measureProcess, simulateBlock, simulateChain } from '../../src/sim/index.ts';
import { TINY } from '../ir/tiny.ts';

/** Tiny MLP with slow matmuls (fc1 4×8, fc2 8×4: 14 · 288 + 1 cycles each), so that they are the bottleneck. */
const cfg = hgpipeDesignConfig(2);
cfg.mlp = cfg.mlp.map((m) => ({ ...m, fc1: { cip: 4, cop: 8 }, fc2: { cip: 8, cop: 4 } }));
const dense = buildDesign(TINY, { ...cfg, name: 'tiny-slow-mlp' }).blocks.find((b) => b.name === 'MLP0')!;
/** About half the tiles of every row kept; row 1 empty. */
function half(p: MacProcess): TileSparsity {
  const cot = p.shape.co / p.shape.cop;
  const cit = p.shape.ci / p.shape.cip;
  return { rows: Array.from({ length: cot }, (_, r) => (r === 1 ? [] : Array.from({ length: cit }, (_, c) => c).filter((c) => (r * 5 + c) % 2 === 0))) };
}
const mac = (name: string) => dense.processes.find((p) => p.name === name) as MacProcess;
const sparse = withSparseMatmul(withSparseMatmul(dense, 'm1', half(mac('m1.mac'))), 'm2', half(mac('m2.mac')));

describe('sim: block-sparse MACs and their windows', () => {
  it('estimate = simulation: each sparse process alone takes its analytic cycles (stall-all fc1, free-running fc2)', () => {
    for (const name of ['m1.cache_window', 'm1.mac', 'm2.cache_window', 'm2.mac']) {
      const p = sparse.processes.find((q) => q.name === name)!;
      assert.deepEqual(measureProcess(p, 3).cyclesPerInvocation, [processCycles(p), processCycles(p), processCycles(p)], name);
    }
  });
  it('the block runs within 5 % of its sparse analytic interval, about half the dense one', () => {
    const d = simulateBlock(dense, 3);
    const s = simulateBlock(sparse, 3);
    assert.equal(d.deadlock, null);
    assert.equal(s.deadlock, null);
    assert.equal(d.steadyInterval, blockAnalyticInterval(dense).cycles);
    // two double-buffered windows in series each idle their MAC one period per image; in series they lose a little
    const a = blockAnalyticInterval(sparse).cycles;
    assert.ok(s.steadyInterval >= a && s.steadyInterval <= 1.05 * a, `simulated ${s.steadyInterval}, analytic ${a}`);
    assert.ok(s.steadyInterval < 0.6 * d.steadyInterval, `${s.steadyInterval} vs ${d.steadyInterval}`);
  });
  it('event skipping changes no result with sparse processes (fast = reference stepper)', () => {
    const fast = simulateChain([sparse], 128, { images: 2 });
    const ref = simulateChain([sparse], 128, { images: 2, engine: 'reference' });
    assert.equal(fast.completed, true);
    assert.deepEqual({ ...fast, steps: 0, compiledSteps: 0 }, { ...ref, steps: 0, compiledSteps: 0 });
  });
});
