import { mapOverWorkers, type PoolOptions, workerTask } from '../workers/index.ts';
import { runOne, type InputSpec, type RunRequest, type RunResult } from './session.ts';

export type BatchOptions<R = RunResult> = PoolOptions<R>;

/** Wrap an engine task for a worker thread: a failure comes back as a diagnostic naming the input file. */
export function inputTask<T extends { input: InputSpec }, R>(run: (task: T) => Promise<R>) {
  return workerTask(run, (t: T) => t.input.file);
}

/**
 * Every input through `run` with the same request, over worker threads (module `taskModule`, whose default export is
 * an `inputTask` of the same function); results in input order, the first failure stops the batch.
 */
export function mapInputs<Q, R>(inputs: InputSpec[], req: Q, run: (input: InputSpec, req: Q) => Promise<R>, taskModule: URL, opts: BatchOptions<R> = {}): Promise<R[]> {
  return mapOverWorkers(inputs.map((input) => ({ input, req })), (t) => run(t.input, t.req), taskModule, opts);
}

/** Run many inputs through the engine over all cores, results in input order. */
export function runBatch(inputs: InputSpec[], req: RunRequest, opts: BatchOptions = {}): Promise<RunResult[]> {
  const taskModule = new URL('./worker.ts', import.meta.url);
  return mapInputs(inputs, req, runOne, taskModule, opts);
}
