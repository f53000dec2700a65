// The one worker-thread entry, for pools (each task names its module) and for single tasks started with a thread
// (runInThread: the task comes in workerData). Threads start without the TypeScript loader the main thread may have:
// register it, then run each task with the default export of the module it names (loaded once per thread).
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const loaded = new Map();
export default async function runTask({ module, task }) {
  let run = loaded.get(module);
  if (!run) {
    run = (await import(module)).default;
    loaded.set(module, run);
  }
  return run(task);
}

if (workerData?.vitpipeTask) parentPort.postMessage(await runTask(workerData.vitpipeTask));
