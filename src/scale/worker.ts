/**
 * A long-running worker: takes shards from the shared BullMQ queue, checks that its copies of the files have the
 * coordinator's hashes (or hands the shard back, saying why), computes every input on its own worker threads (a
 * persistent pool per task kind, so weights are loaded once per thread) and stores the result — the first result
 * stored for a shard is the one counted.
 */
import { resolve } from 'node:path';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Diagnostic } from '../diag/index.ts';
import { openPool } from '../workers/index.ts';
import { bullConnection, openRedis, type QueueTarget } from './connection.ts';
import { manifestDifferences, recentFolderManifest, sha256File } from './hash.ts';
import { encodeResults, ShardJobSchema, type ShardJob, type Task } from './schema.ts';
import { heartbeat, PREFIX, QUEUE_NAME, runKeys, TIMING, WORKERS_KEY, workerId, type LogEntry } from './store.ts';

export interface WorkerOptions {
  target: QueueTarget;
  threads: number;
  /** Where this machine keeps the coordinator's data root; default: the coordinator's own path. */
  dataRoot?: string;
  /** One line per event (ready, shard started/done/refused/failed). */
  log: (line: string) => void;
}

export interface RunningWorker {
  id: string;
  /** Finish the shards in hand, then disconnect. */
  close(): Promise<void>;
}

const TASK_MODULES: Record<Task['kind'], URL> = {
  engine: new URL('../engine/worker.ts', import.meta.url),
  prune: new URL('../prune/worker.ts', import.meta.url),
  float: new URL('../float/worker.ts', import.meta.url),
};

/** Store a result unless one is there already, and log the computation either way, atomically. */
const STORE_SCRIPT = `
local stored = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
redis.call('RPUSH', KEYS[2], stored == 1 and ARGV[3] or ARGV[4])
local ttl = redis.call('PTTL', KEYS[3])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) redis.call('PEXPIRE', KEYS[2], ttl) end
return stored`;

export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const redis = await openRedis(opts.target, 'vitpipe-worker');
  const id = workerId();
  const pools = new Map<Task['kind'], ReturnType<typeof openPool>>();
  const poolFor = (kind: Task['kind']) => {
    let p = pools.get(kind);
    if (!p) pools.set(kind, (p = openPool(TASK_MODULES[kind], opts.threads)));
    return p;
  };

  const processor = async (job: Job, token?: string): Promise<string> => {
    const parsed = ShardJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`job ${job.id} is not a vitpipe shard: ${z.prettifyError(parsed.error)}`);
    const { runId, shard, work } = parsed.data;
    const keys = runKeys(runId);
    const name = `${runId}/${shard}`;
    if (!(await redis.exists(keys.meta))) {
      opts.log(`shard ${name}: its run was removed; dropped`);
      return 'dropped';
    }
    if (await redis.hexists(keys.results, String(shard))) return 'already stored';
    const root = resolve(opts.dataRoot ?? parsed.data.root);
    const refusal = await checkFiles(redis, parsed.data, root);
    if (refusal) {
      await redis.multi().hset(keys.refusals, `${shard}\t${id}`, refusal).expire(keys.refusals, TIMING.unfinishedTtlS).exec();
      opts.log(`shard ${name}: refused: ${refusal}`);
      await job.moveToDelayed(Date.now() + TIMING.refuseDelayMs, token);
      throw new DelayedError();
    }
    opts.log(`shard ${name}: computing ${work.inputs.length} input(s)`);
    const start = Date.now();
    const pool = poolFor(work.task.kind);
    let results: unknown[];
    try {
      results = await Promise.all(work.inputs.map((input) => pool.run(taskFor(parsed.data, root, resolve(root, input.path), input.kind))));
    } catch (e) {
      const diagnostic: Diagnostic = (e as { diagnostic?: Diagnostic }).diagnostic ?? { code: 'IO_ERROR', message: (e as Error).message };
      if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1))
        await redis.multi().hset(keys.errors, String(shard), JSON.stringify(diagnostic)).expire(keys.errors, TIMING.unfinishedTtlS).exec();
      opts.log(`shard ${name}: failed (attempt ${job.attemptsMade + 1} of ${job.opts.attempts ?? 1}): ${(e as Error).message}`);
      throw new Error((e as Error).message);
    }
    const computeMs = Date.now() - start;
    const entry = (counted: boolean): string => JSON.stringify({ shard, worker: id, start, end: Date.now(), computeMs, counted } satisfies LogEntry);
    const stored = await redis.eval(STORE_SCRIPT, 3, keys.results, keys.log, keys.meta, String(shard), encodeResults(results), entry(true), entry(false));
    opts.log(`shard ${name}: done in ${(computeMs / 1000).toFixed(1)} s${stored === 1 ? '' : ' (already stored by another worker; not counted)'}`);
    return stored === 1 ? 'stored' : 'duplicate';
  };

  const worker = new Worker(QUEUE_NAME, processor, {
    connection: bullConnection(opts.target),
    prefix: PREFIX,
    name: id,
    concurrency: opts.threads,
    lockDuration: TIMING.lockMs,
    stalledInterval: TIMING.stalledIntervalMs,
    maxStalledCount: TIMING.maxStalled,
  });
  let lastError = '';
  worker.on('error', (e) => {
    if (e.message !== lastError) opts.log(`queue error (retrying): ${e.message}`); // once per distinct error while Redis is away
    lastError = e.message;
  });
  worker.on('ready', () => (lastError = ''));
  await worker.waitUntilReady();
  const info = { id, host: id.split(':')[0], pid: process.pid, threads: opts.threads };
  await heartbeat(redis, info);
  const beat = setInterval(() => void heartbeat(redis, info).catch(() => {}), TIMING.heartbeatMs);
  opts.log(`worker ${id} ready: ${opts.target.display}, ${opts.threads} thread(s), data root ${opts.dataRoot ? resolve(opts.dataRoot) : "the coordinator's"}`);
  return {
    id,
    async close() {
      clearInterval(beat);
      await worker.close();
      await Promise.all([...pools.values()].map((p) => p.close()));
      await redis.hdel(WORKERS_KEY, id).catch(() => {});
      await redis.quit();
    },
  };
}

/** The thread task of one input, in the shape the task module's default export takes. */
function taskFor(job: ShardJob, root: string, file: string, kind: 'image' | 'patches'): unknown {
  const { work } = job;
  const weightsDir = resolve(root, work.weights.path);
  const input = { kind, file };
  switch (work.task.kind) {
    case 'engine':
      return { input, req: { weightsDir, typesFile: work.types && resolve(root, work.types.path), modes: work.task.modes, maxWrapEvents: work.task.maxWrapEvents } };
    case 'prune':
      return { input, req: { weightsDir, settings: work.task.settings } };
    case 'float':
      return { modelDir: weightsDir, file };
  }
}

/** Why this worker cannot take the shard (its files differ from the coordinator's), or undefined. */
async function checkFiles(redis: Redis, job: ShardJob, root: string): Promise<string | undefined> {
  const { work } = job;
  const weightsDir = resolve(root, work.weights.path);
  let manifest;
  try {
    manifest = recentFolderManifest(weightsDir, TIMING.weightsRecheckMs);
  } catch (e) {
    return `weights folder ${weightsDir}: ${(e as Error).message}`;
  }
  if (manifest.digest !== work.weights.digest) {
    const expected = JSON.parse((await redis.hget(runKeys(job.runId).meta, 'weights')) ?? '[]') as { path: string; sha256: string }[];
    const diff = manifestDifferences(expected, manifest.files);
    return `weights folder ${weightsDir} differs from the coordinator's: ${diff.slice(0, 3).join('; ')}${diff.length > 3 ? `; … ${diff.length - 3} more` : ''}`;
  }
  const files = [...(work.types ? [work.types] : []), ...work.inputs];
  for (const f of files) {
    const path = resolve(root, f.path);
    let sha: string;
    try {
      sha = sha256File(path);
    } catch (e) {
      return `${path}: ${(e as Error).message}`;
    }
    if (sha !== f.sha256) return `${path} has sha256 ${sha.slice(0, 12)}…, the run expects ${f.sha256.slice(0, 12)}…`;
  }
  return undefined;
}
