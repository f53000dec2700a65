import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { VitpipeError, type Diagnostic } from '../diag/index.ts';
import { runOne, type InputSpec, type RunRequest, type RunResult } from './session.ts';

export interface BatchOptions {
  /** Worker threads; default: all cores. One input, or threads = 1, runs in this thread. */
  threads?: number;
  onProgress?: (done: number, total: number, last: RunResult) => void;
}

/**
 * Run many inputs over a worker pool, results in input order. The first failing input stops the batch with its
 * diagnostic (naming the file), so no partial results are reported as complete.
 */
export async function runBatch(inputs: InputSpec[], req: RunRequest, opts: BatchOptions = {}): Promise<RunResult[]> {
  const threads = Math.max(1, Math.min(opts.threads ?? availableParallelism(), inputs.length));
  const results: RunResult[] = new Array(inputs.length);
  let done = 0;
  if (threads === 1) {
    for (let i = 0; i < inputs.length; i++) {
      results[i] = await runOne(inputs[i], req);
      opts.onProgress?.(++done, inputs.length, results[i]);
    }
    return results;
  }
  const pool = new Piscina({
    filename: new URL('./worker-entry.mjs', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: 1000,
  });
  try {
    await Promise.all(
      inputs.map(async (input, i) => {
        const r = (await pool.run({ input, req })) as RunResult | { error: Diagnostic };
        if ('error' in r) throw new VitpipeError(r.error);
        results[i] = r;
        opts.onProgress?.(++done, inputs.length, r);
      }),
    );
  } finally {
    await pool.destroy();
  }
  return results;
}
