// The one worker-thread entry, for pools (each task names its module) and for single tasks started with a thread
// (runInThread: the task comes in workerData). A TypeScript task module runs from its cached esbuild bundle
// (esbuild-cache.mjs: no TypeScript loader, which costs 0.5–1 s of CPU per thread); only when it cannot be bundled is
// tsx registered and the module loaded from source. Each task runs with the default export of the module it names
// (loaded once per thread).
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { cachedBundle, taskBundleName } from './esbuild-cache.mjs';

let registered = false;
const loaded = new Map();

async function load(module) {
  if (module.endsWith('.ts')) {
    const entry = fileURLToPath(module);
    const bundle = await cachedBundle(entry, taskBundleName(entry));
    if (bundle) return import(pathToFileURL(bundle).href);
    if (!registered) {
      (await import('tsx/esm/api')).register();
      registered = true;
    }
  }
  return import(module);
}

export default async function runTask({ module, task }) {
  let run = loaded.get(module);
  if (!run) {
    run = (await load(module)).default;
    loaded.set(module, run);
  }
  return run(task);
}

if (workerData?.vitpipeTask) parentPort.postMessage(await runTask(workerData.vitpipeTask));
