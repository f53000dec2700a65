/**
 * The coordinator's side of a run: enqueue the shards no earlier session finished, gather each shard's stored result
 * once, and end with the results in shard order — or with the error of a shard that failed for good, or that every
 * live worker refused. A coordinator started again with the same run id re-uses every stored result.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Queue } from 'bullmq';
import { fail, VitpipeError, type Diagnostic } from '../diag/index.ts';
import { openRedis, type QueueTarget } from './connection.ts';
import type { FolderManifest } from './hash.ts';
import type { ShardJob, ShardWork } from './schema.ts';
import { expireRun, jobIdOf, liveWorkers, LogEntrySchema, openQueue, removeJobs, runKeys, TIMING, type LogEntry } from './store.ts';

export interface ShardProgress {
  shardsDone: number;
  shards: number;
  /** Inputs in finished shards (re-used ones included), of all inputs. */
  inputsDone: number;
  inputs: number;
  /** Inputs per second computed during this session (re-used shards excluded). */
  inputsPerSecond: number;
  workers: number;
}

/** What happened, for `--queue-report`: every computation of every shard, and which one was counted. */
export interface RunReport {
  runId: string;
  shards: number;
  /** Shards whose results an earlier session of this run had stored. */
  reused: number;
  /** Computations logged by workers (over every session of this run). */
  computations: LogEntry[];
  /** Per shard: how many stored results the coordinator counted (always 1) and how often workers computed it. */
  perShard: { shard: number; counted: number; computed: number }[];
  workersSeen: string[];
  seconds: number;
}

export interface RunShardsOptions {
  target: QueueTarget;
  /** Names the work in the default run id and in Redis (e.g. `infer`). */
  command: string;
  works: ShardWork[];
  root: string;
  weightsManifest: FolderManifest['files'];
  runId?: string;
  onProgress?: (p: ShardProgress) => void;
}

const POLL_MS = 250;
const CHECK_MS = 2000;
const RECONCILE_MS = 10_000;

/** The default run id: the command and a hash of everything its shards read and compute. */
export function defaultRunId(command: string, works: ShardWork[]): string {
  return `${command.replace(/[^A-Za-z0-9_-]/g, '-')}-${workDigest(command, works).slice(0, 16)}`;
}

function workDigest(command: string, works: ShardWork[]): string {
  return createHash('sha256').update(JSON.stringify({ command, works })).digest('hex');
}

/** Run the shards on the queue's workers; each shard's stored result (gzip'd JSON), in shard order. */
export async function runShards(opts: RunShardsOptions): Promise<{ results: Buffer[]; report: RunReport }> {
  const t0 = Date.now();
  const redis = await openRedis(opts.target, 'vitpipe-coordinator');
  const queue = openQueue(opts.target);
  try {
    const runId = opts.runId ?? defaultRunId(opts.command, opts.works);
    const keys = runKeys(runId);
    const n = opts.works.length;
    await describeRun(redis, runId, opts);
    const results: (Buffer | undefined)[] = new Array(n);
    const fetchNew = async () => {
      const fresh = (await redis.hkeys(keys.results)).map(Number).filter((s) => s < n && results[s] === undefined);
      if (fresh.length === 0) return;
      const bufs = await redis.hmgetBuffer(keys.results, ...fresh.map(String));
      fresh.forEach((s, i) => (results[s] = bufs[i] ?? undefined));
    };
    await fetchNew();
    const reused = results.filter((r) => r !== undefined).length;
    const pending = () => [...results.keys()].filter((s) => results[s] === undefined);
    // A new session retries what an earlier one gave up on: its final errors and refusals are forgotten.
    await redis.hdel(keys.errors, ...pending().map(String), '-');
    await redis.del(keys.refusals);
    await enqueue(queue, runId, opts, pending());

    const inputsOf = (s: number) => opts.works[s].inputs.length;
    const total = opts.works.reduce((a, w) => a + w.inputs.length, 0);
    let lastCheck = Date.now();
    let lastReconcile = Date.now();
    let workers = (await liveWorkers(redis)).length;
    const inputsDoneNow = () => [...results.keys()].filter((s) => results[s] !== undefined).reduce((a, s) => a + inputsOf(s), 0);
    const reusedInputs = inputsDoneNow();
    const report = () => {
      const inputsDone = inputsDoneNow();
      opts.onProgress?.({
        shardsDone: n - pending().length,
        shards: n,
        inputsDone,
        inputs: total,
        inputsPerSecond: (inputsDone - reusedInputs) / Math.max(1e-3, (Date.now() - t0) / 1000),
        workers,
      });
    };
    try {
      report();
      while (pending().length > 0) {
        await sleep(POLL_MS);
        await fetchNew();
        report();
        if (pending().length === 0) break;
        if (Date.now() - lastCheck >= CHECK_MS) {
          lastCheck = Date.now();
          const live = await liveWorkers(redis);
          workers = live.length;
          await checkFailures(redis, queue, runId, pending());
          await checkRefusals(redis, runId, pending(), live.map((w) => w.id));
        }
        if (Date.now() - lastReconcile >= RECONCILE_MS) {
          lastReconcile = Date.now();
          await describeRun(redis, runId, opts); // re-creates the description if Redis lost it (restart without persistence)
          await enqueue(queue, runId, opts, pending(), true);
        }
      }
    } catch (e) {
      // The run cannot finish: take its queued shards back so workers do not compute for nobody; a new coordinator
      // with the same run id still re-uses every stored result.
      await removeJobs(queue, runId, n);
      await redis.hset(keys.meta, 'failed', (e as Error).message);
      throw e;
    }
    await removeJobs(queue, runId, n);
    await redis.hset(keys.meta, 'finished', String(Date.now()));
    await expireRun(redis, runId, TIMING.finishedTtlS);
    const computations = (await redis.lrange(keys.log, 0, -1)).map((t) => LogEntrySchema.parse(JSON.parse(t)));
    const perShard = [...Array(n).keys()].map((shard) => ({ shard, counted: 1, computed: computations.filter((c) => c.shard === shard).length }));
    const workersSeen = [...new Set(computations.map((c) => c.worker))].sort();
    return { results: results as Buffer[], report: { runId, shards: n, reused, computations, perShard, workersSeen, seconds: (Date.now() - t0) / 1000 } };
  } finally {
    await queue.close().catch(() => {});
    redis.disconnect();
  }
}

/** Record what the run is (once), or check that the same run id describes the same work. */
async function describeRun(redis: Redis, runId: string, opts: RunShardsOptions): Promise<void> {
  const keys = runKeys(runId);
  const digest = workDigest(opts.command, opts.works);
  await redis.hsetnx(keys.meta, 'digest', digest);
  const stored = await redis.hget(keys.meta, 'digest');
  if (stored !== digest)
    fail('BAD_ARGUMENT', `run id '${runId}' belongs to other work (another command, inputs or shard size)`, '--run-id', `choose another --run-id, or remove that run with \`vitpipe queue-clean --queue … --run-id ${runId}\``);
  await redis.hset(keys.meta, { command: opts.command, shards: String(opts.works.length), weights: JSON.stringify(opts.weightsManifest), touched: String(Date.now()) });
  await redis.hdel(keys.meta, 'finished', 'failed');
  await expireRun(redis, runId, TIMING.unfinishedTtlS);
}

/**
 * Queue the shards that have no job: a job already waiting, delayed or held by a worker is left alone; a failed or
 * completed one whose result is missing is queued again. `onlyMissing`: touch only shards without any job (the
 * periodic check after a Redis restart that lost jobs).
 */
async function enqueue(queue: Queue, runId: string, opts: RunShardsOptions, shards: number[], onlyMissing = false): Promise<void> {
  const add: number[] = [];
  for (const s of shards) {
    const job = await queue.getJob(jobIdOf(runId, s));
    if (!job) add.push(s);
    else if (!onlyMissing) {
      const state = await job.getState();
      if (state === 'failed' || state === 'completed' || state === 'unknown') {
        await job.remove().catch(() => {});
        add.push(s);
      }
    }
  }
  if (add.length === 0) return;
  await queue.addBulk(
    add.map((shard) => ({
      name: 'shard',
      data: { version: 1, runId, shard, root: opts.root, work: opts.works[shard] } satisfies ShardJob,
      opts: {
        jobId: jobIdOf(runId, shard),
        attempts: TIMING.attempts,
        backoff: { type: 'fixed', delay: TIMING.retryDelayMs },
        removeOnComplete: true,
        removeOnFail: false,
      },
    })),
  );
}

/** A shard that failed for good (its error after the last attempt, or BullMQ's stall limit) ends the run. */
async function checkFailures(redis: Redis, queue: Queue, runId: string, pending: number[]): Promise<void> {
  const keys = runKeys(runId);
  const errors = await redis.hgetall(keys.errors);
  for (const s of pending) {
    const text = errors[String(s)];
    if (text === undefined) continue;
    const d = JSON.parse(text) as Diagnostic;
    throw new VitpipeError({ ...d, code: 'SHARD_FAILED', message: `shard ${s} failed after ${TIMING.attempts} attempts: ${d.code}: ${d.message}` });
  }
  if ((await queue.getFailedCount()) === 0) return;
  const mine = new Set(pending.map((s) => jobIdOf(runId, s)));
  for (const job of await queue.getFailed(0, -1)) {
    if (job.id === undefined || !mine.has(job.id)) continue;
    fail('SHARD_FAILED', `shard ${job.id.slice(runId.length + 2)} failed: ${job.failedReason}`, `run ${runId}`);
  }
}

/** A shard refused by every live worker (none has the coordinator's files) ends the run, saying why. */
async function checkRefusals(redis: Redis, runId: string, pending: number[], live: string[]): Promise<void> {
  if (live.length === 0) return;
  const refusals = await redis.hgetall(runKeys(runId).refusals);
  for (const s of pending) {
    const reasons = live.map((w) => refusals[`${s}\t${w}`]);
    if (reasons.some((r) => r === undefined)) continue;
    fail('QUEUE_REFUSED', `no worker can take shard ${s}: ${live.map((w, i) => `${w}: ${reasons[i]}`).join(' | ')}`, `run ${runId}`,
      'give every worker the same weights and photos (same paths, or --data-root on the worker)');
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
