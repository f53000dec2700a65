import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as vitpipe from 'vitpipe';

/** The package entry point (package.json "exports") is the typed API the CLI is built on; it must resolve and work. */
describe('the vitpipe package entry', () => {
  it('exposes every layer: engine, IR, simulator, cost model, planner, code generation, pruning', () => {
    for (const name of ['infer', 'runBatch', 'loadWeights', 'hgpipeDeitTiny', 'simulateDesign', 'simulateNetwork', 'sizeFifos', 'estimateDesign', 'loadDevice', 'plan', 'generateProject', 'planPruned'] as const)
      assert.equal(typeof vitpipe[name], 'function', name);
  });
  it('runs a simulation through it', () => {
    const d = vitpipe.hgpipeDeitTiny();
    const r = vitpipe.simulateBlock(d.blocks.find((b) => b.name === 'HEAD')!, 3);
    assert.equal(r.steadyInterval, 48001);
  });
});
