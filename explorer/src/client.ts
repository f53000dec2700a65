import { errorText, type ErrorInfo, type Reply, type Task } from './protocol.ts';

/** A failed worker request, with the library's error fields when it was a VitpipeError. */
export class TaskError extends Error {
  constructor(readonly info: ErrorInfo) {
    super(errorText(info));
  }
}

interface Pending {
  resolve: (v: { result: unknown; seconds: number }) => void;
  reject: (e: Error) => void;
  onProgress?: (done: number, total: number, detail: string) => void;
}

/**
 * One Web Worker running the library (worker.ts), with promise-returning requests. `cancel` ends the worker and
 * fails what was pending (a new worker starts with the next request), so nothing in the page waits forever.
 */
export class WorkerClient {
  private worker: Worker | null = null;
  private next = 1;
  private pending = new Map<number, Pending>();
  /** Bumped whenever the worker is replaced (state it held, such as loaded weights, is then gone). */
  generation = 0;

  constructor(readonly name: string) {}

  run<T>(task: Task, onProgress?: Pending['onProgress'], transfer: Transferable[] = []): Promise<{ result: T; seconds: number }> {
    const w = this.ensure();
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as Pending['resolve'], reject, onProgress });
      w.postMessage({ id, task }, transfer);
    });
  }

  get busy(): boolean {
    return this.pending.size > 0;
  }

  cancel(reason = 'cancelled'): void {
    this.worker?.terminate();
    this.worker = null;
    this.generation++;
    this.failAll(new TaskError({ code: 'CANCELLED', message: reason }));
  }

  private failAll(e: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(e);
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: this.name });
    w.onmessage = (ev: MessageEvent<Reply>) => {
      const r = ev.data;
      const p = this.pending.get(r.id);
      if (!p) return;
      if (r.type === 'progress') return p.onProgress?.(r.done, r.total, r.detail);
      this.pending.delete(r.id);
      if (r.type === 'done') p.resolve({ result: r.result, seconds: r.seconds });
      else p.reject(new TaskError(r.error));
    };
    // A worker that dies (out of memory, a load error) fails its requests instead of leaving them waiting.
    w.onerror = (ev) => {
      ev.preventDefault();
      this.worker?.terminate();
      this.worker = null;
      this.generation++;
      this.failAll(new TaskError({ code: 'WORKER_FAILED', message: `the ${this.name} worker stopped: ${ev.message || 'unknown error'}` }));
    };
    this.worker = w;
    return w;
  }
}
