import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VitpipeError } from '../../src/diag/index.ts';
import { mapOverWorkers, runInThread } from '../../src/workers/index.ts';

const TASK = new URL('./echo-task.ts', import.meta.url);

describe('worker threads (one entry for every layer)', () => {
  it('runInThread runs a task module on its own thread and brings back its result', async () => {
    assert.equal(await runInThread<{ n: number }, number>(TASK, { n: 21 }).result, 42);
  });

  it('a failing task comes back as the diagnostic it threw, code and message intact', async () => {
    await assert.rejects(runInThread(TASK, { n: -1 }).result, (e: unknown) => {
      assert.ok(e instanceof VitpipeError);
      assert.equal(e.diagnostic.code, 'BAD_ARGUMENT');
      assert.match(e.diagnostic.message, /n must not be negative, got -1/);
      return true;
    });
  });

  it('mapOverWorkers keeps task order over two threads and stops at the first failure', async () => {
    const inline = async (t: { n: number }) => t.n * 2;
    assert.deepEqual(await mapOverWorkers([1, 2, 3, 4].map((n) => ({ n })), inline, TASK, { threads: 2 }), [2, 4, 6, 8]);
    await assert.rejects(mapOverWorkers([{ n: 1 }, { n: -5 }], inline, TASK, { threads: 2 }), /n must not be negative, got -5/);
  });
});
