import { mapOverWorkers, workerTask, type PoolOptions } from '../workers/index.ts';
import { readFloatModel } from './folder.ts';
import { floatRunner, type FloatRunner } from './forward.ts';
import { imageToInput } from './input.ts';

/** One photo's float logits. */
export interface FloatResult {
  file: string;
  logits: Float64Array;
}

/** Float runs need only the folder and the photo: plain data, so a task crosses to worker threads as is. */
export interface FloatTask {
  modelDir: string;
  file: string;
}

const runners = new Map<string, FloatRunner>();

/** The runner of a model folder, loaded once per thread. */
export function cachedFloatRunner(modelDir: string): FloatRunner {
  let r = runners.get(modelDir);
  if (!r) runners.set(modelDir, (r = floatRunner(readFloatModel(modelDir))));
  return r;
}

export async function runFloatOne(task: FloatTask): Promise<FloatResult> {
  const runner = cachedFloatRunner(task.modelDir);
  const input = await imageToInput(task.file, runner.model.manifest.input);
  return { file: task.file, logits: runner.forward(input) };
}

/** Photos through the float model over worker threads, results in input order; the first failure stops the batch. */
export function runFloatBatch(modelDir: string, files: string[], opts: PoolOptions<FloatResult> = {}): Promise<FloatResult[]> {
  cachedFloatRunner(modelDir); // fail here, once, on a bad folder rather than in every worker
  return mapOverWorkers(
    files.map((file) => ({ modelDir, file })),
    runFloatOne,
    new URL('./worker.ts', import.meta.url),
    opts,
  );
}

/** Worker-thread entry: a failure comes back as a diagnostic naming the photo. */
export const floatWorkerTask = workerTask(runFloatOne, (t: FloatTask) => t.file);
