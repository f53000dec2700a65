import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadDevice } from '../../src/cost/index.ts';
import { blockAnalyticInterval, processCycles, validateBlock, type MacProcess } from '../../src/ir/index.ts';
import { MODEL_ZOO } from '../../src/model/index.ts';
import { planPruned, pruneModelWeights } from '../../src/prune/index.ts';
import { loadWeights } from '../../src/refs/index.ts';
import { simulateBlock } from '../../src/sim/index.ts';
import { REFS_DIR, SKIP_NO_REFS } from '../shared.ts';

describe('pruned planner with block-sparse MAC processes', { skip: SKIP_NO_REFS }, () => {
  test('density 0.5: every layer its own block with the weights\' tile patterns; fewer ROM bits; simulated as planned', () => {
    const model = MODEL_ZOO['hgpipe-deit-tiny'];
    const weights = pruneModelWeights(loadWeights(REFS_DIR, model), { density: 0.5, block: 16 });
    const d = planPruned({ model, device: loadDevice('vck190'), setting: { name: 'density 0.5', weights: { density: 0.5, block: 16 } }, weights });
    assert.ok(d.fits);
    const layerBlocks = d.groups.flatMap((g) => g.built.filter((b) => b.kind === 'attn' || b.kind === 'mlp'));
    assert.equal(layerBlocks.length, 2 * model.depth);
    for (const b of layerBlocks) {
      assert.deepEqual(b.layers.length, 1);
      validateBlock(b.block);
    }
    // the MLP's fc1 of layer 0 stores exactly the tiles of its pruned weights that hold a non-zero weight
    const mlp0 = layerBlocks.find((b) => b.block.name === 'MLP0')!.block;
    const m1 = mlp0.processes.find((p) => p.name === 'm1.mac') as MacProcess;
    assert.ok(m1.sparsity);
    const { cip, cop, ci } = m1.shape;
    const w = weights.mlp[0].fc1.weights.w;
    m1.sparsity!.rows.forEach((row, r) => {
      for (let c = 0; c < ci / cip; c++) {
        let nz = false;
        for (let o = 0; o < cop && !nz; o++) for (let i = 0; i < cip && !nz; i++) nz = w[(r * cop + o) * ci + c * cip + i] !== 0;
        assert.equal(row.includes(c), nz, `row ${r} column ${c}`);
      }
    });
    assert.ok(d.weightRoms.bits < 0.9 * d.weightRoms.denseBits, `${d.weightRoms.bits} vs ${d.weightRoms.denseBits}`);
    assert.equal(d.weightRoms.sparseMacs, 6 * model.depth);
    assert.ok(d.sparseMacs.every((s) => s.sparseIterations < s.denseIterations));
    // the planner's interval is its processes' own cycles; the sparse MLP block alone runs at its analytic interval
    const slowest = Math.max(...layerBlocks.flatMap((b) => b.block.processes.map(processCycles)));
    assert.ok(slowest <= d.interval);
    const sim = simulateBlock(mlp0, 3);
    assert.equal(sim.deadlock, null);
    const a = blockAnalyticInterval(mlp0).cycles;
    assert.ok(sim.steadyInterval >= a && sim.steadyInterval <= 1.05 * a, `simulated ${sim.steadyInterval}, analytic ${a}`);
  });
});
