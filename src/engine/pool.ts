import { mapOverWorkers, type PoolOptions, workerTask } from '../workers/index.ts';
import { runOne, type InputSpec, type RunRequest, type RunResult } from './session.ts';

export type BatchOptions<R = RunResult> = PoolOptions<R>;

/** Wrap an engine task for a worker thread: a failure comes back as a diagnostic naming the input file. */
export function inputTask<T extends { input: InputSpec }, R>(run: (task: T) => Promise<R>) {
  return workerTask(run, (t: T) => t.input.file);
}

/** Run many inputs through the engine over all cores, results in input order. */
export function runBatch(inputs: InputSpec[], req: RunRequest, opts: BatchOptions = {}): Promise<RunResult[]> {
  return mapOverWorkers(
    inputs.map((input) => ({ input, req })),
    (t) => runOne(t.input, t.req),
    new URL('./worker.ts', import.meta.url),
    opts,
  );
}
