/**
 * Worker threads for the layers that spread independent work over cores (engine batches, pruning sweeps, isolated
 * block simulations): one generic thread entry (entry.mjs) loads the task module named by each task, so every layer
 * supplies only a module whose default export is a `workerTask`.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { VitpipeError, type Diagnostic } from '../diag/index.ts';

export interface PoolOptions<R> {
  /** Worker threads; default: all cores. One task, or threads = 1, runs in this thread. */
  threads?: number;
  onProgress?: (done: number, total: number, last: R) => void;
}

/** What a worker sends back: its result, or the failure as a diagnostic (classes do not survive structured cloning). */
export type WorkerReply<R> = R | { error: Diagnostic };

/** Wrap a task function for a worker thread: failures come back as data, naming `where(task)` (e.g. the input file). */
export function workerTask<T, R>(run: (task: T) => R | Promise<R>, where: (task: T) => string | undefined = () => undefined): (task: T) => Promise<WorkerReply<R>> {
  return async (task) => {
    try {
      return await run(task);
    } catch (e) {
      const d = (e as { diagnostic?: Diagnostic }).diagnostic;
      return { error: d ?? { code: 'IO_ERROR', message: (e as Error).message ?? String(e), where: where(task) } };
    }
  };
}

/**
 * The parent's Node flags for worker threads, minus a `--import tsx` preload: entry.mjs registers the TypeScript
 * loader itself, and a second registration would send every module through two loader chains (about 0.3 s more CPU
 * per thread at start-up).
 */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const args = process.execArgv;
  for (let i = 0; i < args.length; i++) {
    if ((args[i] === '--import' || args[i] === '--loader') && args[i + 1] === 'tsx') i++;
    else if (args[i] !== '--import=tsx' && args[i] !== '--loader=tsx') out.push(args[i]);
  }
  return out;
}

/** A pool running tasks of one task module (whose default export is a `workerTask`) on `threads` threads. */
export function openPool(taskModule: URL, threads: number): { run<T, R>(task: T): Promise<R>; close(): Promise<void> } {
  const pool = new Piscina({ filename: new URL('./entry.mjs', import.meta.url).href, minThreads: threads, maxThreads: threads, idleTimeout: 1000, execArgv: workerExecArgv() });
  // A batch stops at its first failure and destroys the pool while other tasks are still running; their late replies
  // then reach piscina as 'error' events, which would crash the process if nobody listened. The failure that
  // matters has already been reported through its task's promise.
  pool.on('error', () => {});
  return {
    async run<T, R>(task: T): Promise<R> {
      const r = (await pool.run({ module: taskModule.href, task })) as WorkerReply<R>;
      if (r !== null && typeof r === 'object' && 'error' in r) throw new VitpipeError(r.error);
      return r;
    },
    close: () => pool.destroy(),
  };
}

/**
 * Run tasks over worker threads (module `taskModule`), results in task order; inline in this thread when one thread
 * suffices. The first failing task stops the batch with its diagnostic.
 */
export async function mapOverWorkers<T, R>(tasks: T[], runInline: (task: T) => Promise<R>, taskModule: URL, opts: PoolOptions<R> = {}): Promise<R[]> {
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
  const pool = openPool(taskModule, threads);
  try {
    await Promise.all(
      tasks.map(async (task, i) => {
        results[i] = await pool.run<T, R>(task);
        opts.onProgress?.(++done, tasks.length, results[i]);
      }),
    );
  } finally {
    await pool.close();
  }
  return results;
}

/**
 * Run one task of `taskModule` on a new thread that starts it at once, while this thread goes on with synchronous
 * work (a pool would wait for this thread's event loop to hand the task over). Await `result` when needed; `stop()`
 * ends the thread early (when this thread's own part failed).
 */
export function runInThread<T, R>(taskModule: URL, task: T): { result: Promise<R>; stop(): Promise<number> } {
  const worker = new Worker(new URL('./entry.mjs', import.meta.url), { workerData: { vitpipeTask: { module: taskModule.href, task } }, execArgv: workerExecArgv() });
  const result = new Promise<R>((resolve, reject) => {
    worker.once('message', (r: WorkerReply<R>) => {
      void worker.terminate();
      if (r !== null && typeof r === 'object' && 'error' in r) reject(new VitpipeError(r.error));
      else resolve(r);
    });
    worker.once('error', reject);
  });
  // Observed at once, so that a failure is not reported as unhandled while this thread is busy; awaiting it rethrows.
  result.catch(() => {});
  return { result, stop: () => worker.terminate() };
}
