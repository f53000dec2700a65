// The one worker-thread entry, for pools (each task names its module) and for single tasks started with a thread
// (runInThread: the task comes in workerData). Threads start without the TypeScript loader the main thread may have:
// it is registered for the first TypeScript module (a bundled task module, src/workers/bundle.ts, needs none); each
// task runs with the default export of the module it names (loaded once per thread).
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

let registered = false;
const loaded = new Map();
export default async function runTask({ module, task }) {
  let run = loaded.get(module);
  if (!run) {
    if (!registered && !module.endsWith('.mjs')) {
      register();
      registered = true;
    }
    run = (await import(module)).default;
    loaded.set(module, run);
  }
  return run(task);
}

if (workerData?.vitpipeTask) parentPort.postMessage(await runTask(workerData.vitpipeTask));
