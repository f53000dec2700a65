/**
 * Scale-out: images/s of `infer --queue` with 1, 2 and 4 worker processes of one thread each (coordinator and a
 * private redis-server on this machine), against the local batch runner on one thread measured in the same run; the
 * coordination cost per shard (everything a worker spends on a shard besides computing it: taking the job, checking
 * hashes, storing the result); peak memory of a worker.
 *
 *   npm run bench:scale [-- --images 96 --shard 8 --workers 1,2,4]
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { runBatch, type InputSpec } from '../src/engine/index.ts';
import { listImages } from '../src/image/index.ts';
import { queuedRunBatch, type RunReport } from '../src/scale/index.ts';
import { startWorkerProcess, stopProcess, type CliProcess } from '../test/scale/processes.ts';
import { HAVE_REDIS, startRedisServer } from '../test/scale/redis-server.ts';
import { argValue, IMAGENET_SAMPLE, REFS_DIR, requireShared } from './common.ts';

requireShared('bench:scale');
if (!HAVE_REDIS) {
  console.log('bench:scale: skipped — needs redis-server on the PATH (Debian: apt-get install redis-server)');
  process.exit(0);
}

const images = Number(argValue('--images') ?? 96);
const shard = Number(argValue('--shard') ?? 8);
const counts = (argValue('--workers') ?? '1,2,4').split(',').map(Number);
const photos: InputSpec[] = listImages(IMAGENET_SAMPLE).slice(0, images).map((file) => ({ kind: 'image', file }));
const req = { weightsDir: REFS_DIR, modes: ['ideal' as const] };

/** Peak resident memory of a process (MiB), from /proc. */
function peakMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** CPU seconds a process (all its threads) has used, from /proc (clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Per shard: the worker's time on it besides computing, plus its wait since its previous shard (job hand-over). */
function coordinationMs(report: RunReport): { perShard: number; compute: number } {
  let overhead = 0;
  let compute = 0;
  const byWorker = new Map<string, RunReport['computations']>();
  for (const c of report.computations) byWorker.set(c.worker, [...(byWorker.get(c.worker) ?? []), c]);
  for (const list of byWorker.values()) {
    list.sort((a, b) => a.start - b.start);
    list.forEach((c, i) => {
      overhead += c.end - c.start - c.computeMs + (i > 0 ? Math.max(0, c.start - list[i - 1].end) : 0);
      compute += c.computeMs;
    });
  }
  const n = report.computations.length;
  return { perShard: overhead / n, compute: compute / n };
}

console.log(`bench:scale — ${images} photos, ${shard} per shard, refs ${REFS_DIR}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
let t = performance.now();
await runBatch(photos.slice(0, 2), req, { threads: 1 }); // load weights in this thread first
t = performance.now();
await runBatch(photos, req, { threads: 1 });
const localIps = images / ((performance.now() - t) / 1000);
console.log(`local runBatch, 1 thread: ${localIps.toFixed(2)} images/s`);

const redis = await startRedisServer();
const rows: { workers: number; ips: number; coordination: number; compute: number; peak: number; cpuPerImage: number }[] = [];
try {
  for (const w of counts) {
    const workers: CliProcess[] = await Promise.all(Array.from({ length: w }, () => startWorkerProcess(redis.url)));
    try {
      // Warm-up: one shard per worker, so every worker thread has loaded the weights before the timed run.
      await queuedRunBatch('bench-warmup', photos.slice(0, w), req, { url: redis.url, shardSize: 1, runId: `warmup-${w}` });
      let report: RunReport | undefined;
      const cpu0 = workers.reduce((a, p) => a + cpuSeconds(p.proc.pid!), 0);
      t = performance.now();
      await queuedRunBatch('bench', photos, req, { url: redis.url, shardSize: shard, runId: `bench-${w}`, onReport: (r) => (report = r) });
      const ips = images / ((performance.now() - t) / 1000);
      const c = coordinationMs(report!);
      const cpuPerImage = (workers.reduce((a, p) => a + cpuSeconds(p.proc.pid!), 0) - cpu0) / images;
      rows.push({ workers: w, ips, coordination: c.perShard, compute: c.compute, peak: Math.max(...workers.map((p) => peakMiB(p.proc.pid!))), cpuPerImage });
      console.log(`${w} worker(s): ${ips.toFixed(2)} images/s; coordination ${c.perShard.toFixed(1)} ms per shard of ${(c.compute / 1000).toFixed(2)} s`);
    } finally {
      await Promise.all(workers.map((p) => stopProcess(p)));
    }
  }
} finally {
  await redis.stop();
}

const one = rows.find((r) => r.workers === 1)?.ips ?? NaN;
console.log('\n| worker processes (1 thread each) | images/s | speed-up vs 1 worker | efficiency | worker CPU s per image | coordination per shard | share of a shard | worker peak RSS |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows)
  console.log(`| ${r.workers} | ${r.ips.toFixed(2)} | ${(r.ips / one).toFixed(2)}× | ${((100 * r.ips) / one / r.workers).toFixed(0)} % | ${r.cpuPerImage.toFixed(3)} | ${r.coordination.toFixed(1)} ms | ${((100 * r.coordination) / r.compute).toFixed(2)} % | ${r.peak.toFixed(0)} MiB |`);
console.log(`\nlocal runBatch on 1 thread: ${localIps.toFixed(2)} images/s; 1 queue worker / local = ${(one / localIps).toFixed(2)}×`);
const two = rows.find((r) => r.workers === 2);
if (two) console.log(`goal 2 workers ≥ 1.8× one: ${(two.ips / one).toFixed(2)}× — ${two.ips / one >= 1.8 ? 'reached' : 'NOT reached'}`);
const worst = Math.max(...rows.map((r) => r.coordination / r.compute));
console.log(`goal queue overhead < 2 % of a shard: worst ${(100 * worst).toFixed(2)} % — ${worst < 0.02 ? 'reached' : 'NOT reached'}`);
console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
