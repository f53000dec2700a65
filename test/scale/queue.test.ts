/**
 * `--queue` runs against a real redis-server (started here on a free loopback port, stopped afterwards) and real
 * worker processes: the same JSON as the local run, nothing lost or double-counted when a worker is SIGKILLed
 * mid-shard or the coordinator is killed and restarted, refusals of workers whose files differ.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { listImages } from '../../src/image/index.ts';
import { queuedPrunedBatch, runKeys, type RunReport } from '../../src/scale/index.ts';
import { runPrunedBatch, type PruneSetting } from '../../src/prune/index.ts';
import { IMAGENET_SAMPLE, REFS_DIR, SHARED_DIR, SKIP_NO_REFS, vitpipe } from '../shared.ts';
import { startCli, startWorkerProcess, stopProcess, type CliProcess } from './processes.ts';
import { freePort, SKIP_NO_REDIS, startRedisServer, type RedisServer } from './redis-server.ts';

const SKIP = SKIP_NO_REDIS || SKIP_NO_REFS;
const PHOTOS = SKIP ? [] : listImages(IMAGENET_SAMPLE).slice(0, 8);
const INFER = ['infer', '--weights', REFS_DIR, '--image', ...PHOTOS, '--json'];

/** Every shard has exactly one counted computation; returns the number of computations per shard. */
function assertCountedOnce(report: RunReport): number[] {
  const computed = new Array(report.shards).fill(0);
  const counted = new Array(report.shards).fill(0);
  for (const c of report.computations) {
    computed[c.shard]++;
    if (c.counted) counted[c.shard]++;
  }
  assert.deepEqual(counted, new Array(report.shards).fill(1), 'each shard counted exactly once');
  return computed;
}

describe('infer --queue on workers (BullMQ + redis-server)', { skip: SKIP }, () => {
  let redis: RedisServer;
  let local: string;
  const workers: CliProcess[] = [];
  const tmp = mkdtempSync(join(tmpdir(), 'vitpipe-queue-'));

  before(async () => {
    redis = await startRedisServer();
    // The local reference and the workers the tests share start side by side (process start-up dominates here).
    const [r, ...started] = await Promise.all([startCli([...INFER, '--threads', '2']).done, ...[0, 1, 2].map(() => startWorkerProcess(redis.url))]);
    assert.equal(r.code, 0, r.stderr);
    local = r.stdout;
    workers.push(...started);
  });
  after(async () => {
    await Promise.all(workers.map((w) => stopProcess(w)));
    await redis?.stop();
  });

  test('three workers give the same JSON as the local run, each shard counted once', async () => {
    const reportFile = join(tmp, 'three.json');
    const r = await startCli([...INFER, '--queue', redis.url, '--shard-size', '2', '--queue-report', reportFile]).done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, local);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as RunReport;
    assert.equal(report.shards, 4);
    assert.deepEqual(assertCountedOnce(report), [1, 1, 1, 1]);
    await Promise.all(workers.splice(1).map((w) => stopProcess(w))); // one stays for the next tests
  });

  test('a worker SIGKILLed mid-shard: its shard is taken over, nothing lost, nothing counted twice', async () => {
    const victim = await startWorkerProcess(redis.url);
    const coordinator = startCli([...INFER, '--queue', redis.url, '--shard-size', '2', '--run-id', 'killed-worker', '--queue-report', join(tmp, 'kill.json')]);
    const line = await victim.waitFor(/computing/);
    const shard = Number(/killed-worker\/(\d+)/.exec(line)![1]);
    victim.proc.kill('SIGKILL');
    await victim.done; // workers[0] survives and takes the shard over
    const r = await coordinator.done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, local);
    const report = JSON.parse(readFileSync(join(tmp, 'kill.json'), 'utf8')) as RunReport;
    assertCountedOnce(report);
    const victimId = /worker (\S+) ready/.exec(victim.lines[0])![1];
    assert.ok(!report.computations.some((c) => c.worker === victimId && c.shard === shard), 'the killed worker never finished its shard');
    assert.ok(report.computations.some((c) => c.worker !== victimId && c.shard === shard && c.counted), 'another worker computed it');
  });

  test('a coordinator killed mid-run and restarted with its run id re-uses finished shards and re-runs none', async () => {
    const args = [...INFER, '--queue', redis.url, '--shard-size', '2', '--run-id', 'restarted'];
    const client = new Redis(redis.port, '127.0.0.1');
    try {
      const first = startCli(args);
      while ((await client.hlen(runKeys('restarted').results)) < 1) await new Promise((r) => setTimeout(r, 100));
      first.proc.kill('SIGKILL');
      await first.done;
      const r = await startCli([...args, '--queue-report', join(tmp, 'restart.json')]).done;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, local);
      const report = JSON.parse(readFileSync(join(tmp, 'restart.json'), 'utf8')) as RunReport;
      assert.ok(report.reused >= 1, `re-used ${report.reused} shards`);
      assert.deepEqual(assertCountedOnce(report), [1, 1, 1, 1], 'no shard computed twice');
      // A finished run expires by itself (24 h).
      const ttl = await client.ttl(runKeys('restarted').results);
      assert.ok(ttl > 0 && ttl <= 24 * 3600, `results expire in ${ttl} s`);
      const clean = vitpipe('queue-clean', '--queue', redis.url, '--run-id', 'restarted', '--json');
      assert.equal(clean.code, 0, clean.stderr);
      assert.equal(await client.exists(runKeys('restarted').results, runKeys('restarted').meta), 0);
    } finally {
      client.disconnect();
    }
  });

  test('pruning sweep shards (photo block × settings block) reassemble to the local predictions', async () => {
    const settings: PruneSetting[] = [
      { name: 'dense' },
      { name: 'tokens', tokens: { stages: [{ block: 3, keep: 0.7 }], fuse: true } },
      { name: 'weights', weights: { density: 0.9, block: 16, correctBias: true } },
    ];
    const inputs = PHOTOS.slice(0, 2).map((file) => ({ kind: 'image' as const, file }));
    const queued = await queuedPrunedBatch('prune-test', inputs, { weightsDir: REFS_DIR, settings }, { url: redis.url, shardSize: 1, settingsPerShard: 2 });
    assert.deepEqual(queued, await runPrunedBatch(inputs, { weightsDir: REFS_DIR, settings }, { threads: 1 }));
  });

  test('a shard that keeps failing ends the run with its error', async () => {
    const broken = join(tmp, 'n01440764_broken.JPEG');
    writeFileSync(broken, readFileSync(PHOTOS[0]).subarray(0, 3000)); // a JPEG cut short: listed, but fails to decode
    const r = await startCli(['infer', '--weights', REFS_DIR, '--image', broken, '--queue', redis.url, '--run-id', 'broken']).done;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /SHARD_FAILED/);
    assert.match(r.stderr, /n01440764_broken\.JPEG/);
    await Promise.all(workers.splice(0).map((w) => stopProcess(w))); // the refusal test needs no good worker
  });

  test('a worker whose weights differ refuses the shards; with no other worker the run ends naming the file', async () => {
    // The worker's data root: the same tree as ../shared, through links, with one weight file changed.
    const root = join(tmp, 'other-root');
    mkdirSync(join(root, 'hgpipe', 'refs'), { recursive: true });
    symlinkSync(IMAGENET_SAMPLE, join(root, 'imagenet-sample'));
    for (const f of readdirSync(REFS_DIR)) {
      if (f === 'mlp_3_matmul2_bias.txt') writeFileSync(join(root, 'hgpipe', 'refs', f), readFileSync(join(REFS_DIR, f), 'latin1').replace(/^(-?\d+)/, (v) => String(Number(v) + 1)));
      else symlinkSync(join(REFS_DIR, f), join(root, 'hgpipe', 'refs', f));
    }
    const bad = await startWorkerProcess(redis.url, ['--data-root', root]);
    workers.push(bad);
    const r = await startCli([...INFER, '--queue', redis.url, '--shard-size', '4', '--run-id', 'refused', '--data-root', SHARED_DIR]).done;
    assert.equal(r.code, 1);
    assert.match(r.stdout, /QUEUE_REFUSED/); // under --json the error is the JSON document
    assert.match(r.stdout, /mlp_3_matmul2_bias\.txt has sha256 [0-9a-f]{12}…, the run expects [0-9a-f]{12}…/);
    await bad.waitFor(/refused: weights folder/);
    await Promise.all(workers.splice(0).map((w) => stopProcess(w)));
  });

  test('unreachable Redis and wrong passwords: a clear error naming the URL, within seconds', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const r = vitpipe('infer', '--weights', REFS_DIR, '--image', PHOTOS[0], '--queue', `redis://127.0.0.1:${port}`);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`QUEUE_UNREACHABLE.*redis://127\\.0\\.0\\.1:${port}`));
    assert.ok(Date.now() - t0 < 20_000);
    const secured = await startRedisServer({ password: 's3cret' });
    try {
      const wrong = vitpipe('worker', '--queue', `redis://:nope@127.0.0.1:${secured.port}`);
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /QUEUE_UNREACHABLE.*redis:\/\/:\*\*\*@127\.0\.0\.1/);
      assert.doesNotMatch(wrong.stderr, /nope/);
      const right = await startWorkerProcess(secured.url); // BullMQ's own connections take the password too
      await stopProcess(right);
    } finally {
      await secured.stop();
    }
  });

  test('TLS (rediss://) with the CA given in the URL; without it the certificate is refused', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'vitpipe-tls-'));
    const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1']);
    if (made.status !== 0) return t.skip('needs openssl to make a certificate');
    let secured: RedisServer;
    try {
      secured = await startRedisServer({ tls: { cert, key } });
    } catch {
      return t.skip('this redis-server was built without TLS');
    }
    try {
      const w = await startWorkerProcess(`${secured.url}?tls-ca=${cert}`);
      await stopProcess(w);
      const untrusted = vitpipe('worker', '--queue', secured.url);
      assert.equal(untrusted.code, 1);
      assert.match(untrusted.stderr, /QUEUE_UNREACHABLE.*rediss:\/\/127\.0\.0\.1.*(certificate|self.signed)/i);
    } finally {
      await secured.stop();
    }
  });
});
