/**
 * The page's stand-in for src/workers (Node worker threads through piscina). The page runs the library in its own
 * Web Workers (client.ts), so these thread helpers are never called here; they say so if they ever are.
 */
const unavailable = (): never => {
  throw new Error('Node worker threads are not available in the explorer page');
};
// Task modules call workerTask when they load; the task it wraps is never run here.
export const workerTask = () => unavailable;
export const openPool = unavailable;
export const mapOverWorkers = unavailable;
export const runInThread = unavailable;
