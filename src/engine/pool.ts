import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { VitpipeError, type Diagnostic } from '../diag/index.ts';
import { runOne, type InputSpec, type RunRequest, type RunResult } from './session.ts';

export interface BatchOptions<R = RunResult> {
  /** Worker threads; default: all cores. One input, or threads = 1, runs in this thread. */
  threads?: number;
  onProgress?: (done: number, total: number, last: R) => void;
}

/** What a worker sends back: its result, or the failure as a diagnostic (classes do not survive structured cloning). */
export type WorkerReply<R> = R | { error: Diagnostic };

/** Wrap a task function for a worker thread: failures come back as data naming the input file. */
export function workerTask<T extends { input: InputSpec }, R>(run: (task: T) => Promise<R>): (task: T) => Promise<WorkerReply<R>> {
  return async (task) => {
    try {
      return await run(task);
    } catch (e) {
      const d = (e as { diagnostic?: Diagnostic }).diagnostic;
      return { error: d ?? { code: 'IO_ERROR', message: (e as Error).message ?? String(e), where: task.input.file } };
    }
  };
}

/**
 * Run tasks over a worker pool (entry module `workerEntry`, whose default export is a `workerTask`), results in task
 * order; inline in this thread when one thread suffices. The first failing task stops the batch with its diagnostic.
 */
export async function mapOverWorkers<T, R>(
  tasks: T[],
  runInline: (task: T) => Promise<R>,
  workerEntry: URL,
  opts: BatchOptions<R> = {},
): Promise<R[]> {
  const threads = Math.max(1, Math.min(opts.threads ?? availableParallelism(), tasks.length));
  const results: R[] = new Array(tasks.length);
  let done = 0;
  if (threads === 1) {
    for (let i = 0; i < tasks.length; i++) {
      results[i] = await runInline(tasks[i]);
      opts.onProgress?.(++done, tasks.length, results[i]);
    }
    return results;
  }
  const pool = new Piscina({ filename: workerEntry.href, minThreads: threads, maxThreads: threads, idleTimeout: 1000 });
  try {
    await Promise.all(
      tasks.map(async (task, i) => {
        const r = (await pool.run(task)) as WorkerReply<R>;
        if (r !== null && typeof r === 'object' && 'error' in r) throw new VitpipeError(r.error);
        results[i] = r;
        opts.onProgress?.(++done, tasks.length, r);
      }),
    );
  } finally {
    await pool.destroy();
  }
  return results;
}

/** Run many inputs through the engine over all cores, results in input order. */
export function runBatch(inputs: InputSpec[], req: RunRequest, opts: BatchOptions = {}): Promise<RunResult[]> {
  return mapOverWorkers(
    inputs.map((input) => ({ input, req })),
    (t) => runOne(t.input, t.req),
    new URL('./worker-entry.mjs', import.meta.url),
    opts,
  );
}
