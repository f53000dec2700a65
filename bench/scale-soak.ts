/**
 * Soak test of the queue (not part of npm test): for `--minutes` (default 20), one `infer --queue` run after another
 * on two worker processes, with a worker SIGKILLed and replaced every minute and redis-server (append-only file on)
 * restarted once half-way. Every run's results are compared with the local run of the same photos; the summary counts
 * shards lost (missing or different) and double-counted (more than one counted computation).
 *
 *   npm run bench:scale-soak [-- --minutes 20 --photos 64 --shard 4]
 */
import { loadavg } from 'node:os';
import { runBatch, type InputSpec, type RunResult } from '../src/engine/index.ts';
import { listImages } from '../src/image/index.ts';
import { queuedRunBatch, type RunReport } from '../src/scale/index.ts';
import { startWorkerProcess, stopProcess, type CliProcess } from '../test/scale/processes.ts';
import { HAVE_REDIS, startRedisServer } from '../test/scale/redis-server.ts';
import { argValue, IMAGENET_SAMPLE, peakMemoryMiB, REFS_DIR, requireShared } from './common.ts';

requireShared('bench:scale-soak');
if (!HAVE_REDIS) {
  console.log('bench:scale-soak: skipped — needs redis-server on the PATH');
  process.exit(0);
}
const minutes = Number(argValue('--minutes') ?? 20);
const perRun = Number(argValue('--photos') ?? 64);
const shard = Number(argValue('--shard') ?? 4);
const pool: InputSpec[] = listImages(IMAGENET_SAMPLE).slice(0, 2 * perRun).map((file) => ({ kind: 'image', file }));
const req = { weightsDir: REFS_DIR, modes: ['ideal' as const] };
const log = (s: string) => console.log(`[${((performance.now() - t0) / 60_000).toFixed(1)} min] ${s}`);

const t0 = performance.now();
console.log(`bench:scale-soak — ${minutes} min, runs of ${perRun} photos in shards of ${shard}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const reference = new Map<string, RunResult>((await runBatch(pool, req, { threads: 2 })).map((r) => [r.file, r]));
log(`local reference: ${pool.length} photos`);

const redis = await startRedisServer({ persist: true });
const workers: CliProcess[] = await Promise.all([0, 1].map(() => startWorkerProcess(redis.url)));
let kills = 0;
let redisRestarts = 0;
let busy = Promise.resolve();
const killer = setInterval(() => {
  busy = busy.then(async () => {
    const i = kills % workers.length;
    workers[i].proc.kill('SIGKILL');
    await workers[i].done;
    kills++;
    workers[i] = await startWorkerProcess(redis.url);
    log(`worker ${i} SIGKILLed and replaced (${kills} kills)`);
  });
}, 60_000);
const restarter = setTimeout(() => {
  busy = busy.then(async () => {
    await redis.restart();
    redisRestarts++;
    log('redis-server restarted');
  });
}, (minutes * 60_000) / 2);

const totals = { runs: 0, shards: 0, photos: 0, computations: 0, duplicates: 0, lost: 0, doubleCounted: 0, wrong: 0 };
try {
  for (let run = 0; performance.now() - t0 < minutes * 60_000; run++) {
    const photos = pool.slice((run % 2) * perRun, (run % 2) * perRun + perRun);
    let report: RunReport | undefined;
    const results = await queuedRunBatch('soak', photos, req, { url: redis.url, shardSize: shard, runId: `soak-${process.pid}-${run}`, onReport: (r) => (report = r) });
    const counted = new Array(report!.shards).fill(0);
    for (const c of report!.computations) if (c.counted) counted[c.shard]++;
    const wrong = results.filter((r, i) => r.file !== photos[i].file || !Buffer.from(r.logits.ideal!.buffer).equals(Buffer.from(reference.get(photos[i].file)!.logits.ideal!.buffer))).length;
    totals.runs++;
    totals.shards += report!.shards;
    totals.photos += results.length;
    totals.computations += report!.computations.length;
    totals.duplicates += report!.computations.filter((c) => !c.counted).length;
    totals.lost += counted.filter((c) => c === 0).length + Math.max(0, photos.length - results.length);
    totals.doubleCounted += counted.filter((c) => c > 1).length;
    totals.wrong += wrong;
    log(`run ${run}: ${results.length} photos, ${report!.shards} shards, ${report!.computations.length} computations, ${wrong} differing from local, ${report!.seconds.toFixed(1)} s`);
  }
} finally {
  clearInterval(killer);
  clearTimeout(restarter);
  await busy;
  await Promise.all(workers.map((w) => stopProcess(w)));
  await redis.stop();
}
console.log(`\nsoak: ${totals.runs} runs, ${totals.photos} photos in ${totals.shards} shards over ${((performance.now() - t0) / 60_000).toFixed(1)} min; ${kills} worker kills, ${redisRestarts} Redis restart(s)`);
console.log(`computations ${totals.computations} (${totals.duplicates} duplicates discarded); shards lost ${totals.lost}; double-counted ${totals.doubleCounted}; photos differing from the local run ${totals.wrong}`);
console.log(`coordinator peak RSS ${peakMemoryMiB().toFixed(0)} MiB; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
if (totals.lost + totals.doubleCounted + totals.wrong > 0) process.exitCode = 1;
