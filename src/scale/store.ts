/**
 * The Redis side of a run besides BullMQ's own job records: the run's description, each shard's result (first one
 * stored wins: a shard is counted once however often it was computed), refusals, final errors, a log of every
 * computation, and the workers' heartbeats. Every run key expires on its own: 7 days after the coordinator last
 * touched an unfinished run, 24 h after a run finished (or at once with `vitpipe queue-clean`).
 */
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { z } from 'zod';
import { bullConnection, type QueueTarget } from './connection.ts';

/** BullMQ's key prefix and queue name: every coordinator and worker on one Redis uses the same queue. */
export const PREFIX = 'vitpipe';
export const QUEUE_NAME = 'shards';

/**
 * Fault-tolerance timing. A worker renews its shard's lock every LOCK_MS / 2 from its main thread (the computation
 * runs on worker threads, so renewal never waits); a killed worker's lock lapses after at most LOCK_MS, and the next
 * stalled check (every STALLED_INTERVAL_MS, by any live worker) puts the shard back: taken over within ≈ 5 + 2 × 2.5
 * = 10 s. A shard may stall MAX_STALLED times (BullMQ's default fails it on the second) and fail ATTEMPTS times.
 */
export const TIMING = {
  lockMs: 5000,
  stalledIntervalMs: 2500,
  maxStalled: 5,
  attempts: 3,
  retryDelayMs: 1000,
  /** A refused shard goes back to the queue after this delay (another worker, or this one once its files change). */
  refuseDelayMs: 1000,
  heartbeatMs: 2000,
  /** A worker re-checks a weights folder's files at most this often (photos: every shard). */
  weightsRecheckMs: 10_000,
  /** A worker not heard from for this long is no longer counted as live. */
  workerStaleMs: 10_000,
  /** Seconds an unfinished run is kept after the coordinator last touched it; a finished run. */
  unfinishedTtlS: 7 * 24 * 3600,
  finishedTtlS: 24 * 3600,
} as const;

export function jobIdOf(runId: string, shard: number): string {
  return `${runId}-s${shard}`;
}

export function runKeys(runId: string) {
  const base = `${PREFIX}:run:${runId}`;
  return { meta: `${base}:meta`, results: `${base}:results`, refusals: `${base}:refusals`, errors: `${base}:errors`, log: `${base}:log` };
}

export const WORKERS_KEY = `${PREFIX}:workers`;

/** One computation of one shard, as the worker that did it logged it (times in ms since the epoch). */
export const LogEntrySchema = z.strictObject({
  shard: z.number().int(),
  worker: z.string(),
  start: z.number(),
  end: z.number(),
  computeMs: z.number(),
  /** False when another worker's result for the shard was already stored (a duplicate computation, not counted). */
  counted: z.boolean(),
});
export type LogEntry = z.infer<typeof LogEntrySchema>;

export const WorkerInfoSchema = z.strictObject({ id: z.string(), host: z.string(), pid: z.number(), threads: z.number(), seen: z.number() });
export type WorkerInfo = z.infer<typeof WorkerInfoSchema>;

export function workerId(): string {
  return `${hostname()}:${process.pid}`;
}

export async function heartbeat(redis: Redis, info: Omit<WorkerInfo, 'seen'>): Promise<void> {
  await redis.hset(WORKERS_KEY, info.id, JSON.stringify({ ...info, seen: Date.now() }));
}

/** Workers heard from within the last few seconds (stale entries are dropped after a minute). */
export async function liveWorkers(redis: Redis): Promise<WorkerInfo[]> {
  const now = Date.now();
  const live: WorkerInfo[] = [];
  for (const [id, text] of Object.entries(await redis.hgetall(WORKERS_KEY))) {
    let w;
    try {
      w = WorkerInfoSchema.safeParse(JSON.parse(text));
    } catch {
      w = WorkerInfoSchema.safeParse(undefined);
    }
    if (!w.success || now - w.data.seen > 60_000) await redis.hdel(WORKERS_KEY, id);
    else if (now - w.data.seen <= TIMING.workerStaleMs) live.push(w.data);
  }
  return live;
}

/** Set every key of a run to expire `seconds` from now (keys not created yet are covered by the next call). */
export async function expireRun(redis: Redis, runId: string, seconds: number): Promise<void> {
  const m = redis.multi();
  for (const k of Object.values(runKeys(runId))) m.expire(k, seconds);
  await m.exec();
}

export function openQueue(target: QueueTarget): Queue {
  const q = new Queue(QUEUE_NAME, { connection: bullConnection(target), prefix: PREFIX });
  q.on('error', () => {}); // connection trouble: ioredis reconnects, commands wait
  return q;
}

/** Remove a run now: its keys and every job of its shards still in the queue (waiting, delayed, failed). */
export async function removeRun(redis: Redis, queue: Queue, runId: string): Promise<{ shards: number; jobsRemoved: number }> {
  const shards = Number((await redis.hget(runKeys(runId).meta, 'shards')) ?? 0);
  const jobsRemoved = await removeJobs(queue, runId, shards);
  await redis.del(...Object.values(runKeys(runId)));
  return { shards, jobsRemoved };
}

/** Remove the run's jobs that no worker holds; a held one finishes and is dropped by its worker (run gone). */
export async function removeJobs(queue: Queue, runId: string, shards: number): Promise<number> {
  let removed = 0;
  for (let s = 0; s < shards; s++) {
    try {
      removed += await queue.remove(jobIdOf(runId, s));
    } catch {
      // locked by a worker: left to finish
    }
  }
  return removed;
}

/** Every run id with keys in this Redis. */
export async function listRuns(redis: Redis): Promise<{ runId: string; finished: boolean }[]> {
  const out: { runId: string; finished: boolean }[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}:run:*:meta`, 'COUNT', 500);
    cursor = next;
    for (const k of keys) out.push({ runId: k.slice(`${PREFIX}:run:`.length, -':meta'.length), finished: (await redis.hexists(k, 'finished')) === 1 });
  } while (cursor !== '0');
  return out;
}
