/** The queue's data boundary without Redis: URLs, job validation (data only, no path out of the data root), results. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeResults, encodeResults, parseQueueUrl, ShardJobSchema } from '../../src/scale/index.ts';
import { isVitpipeError } from '../../src/diag/index.ts';

const SHA = 'a'.repeat(64);
const job = (over: Record<string, unknown> = {}, work: Record<string, unknown> = {}) => ({
  version: 1,
  runId: 'r1',
  shard: 0,
  root: '/data',
  work: { weights: { path: 'hgpipe/refs', digest: SHA }, inputs: [{ kind: 'image', path: 'photos/a.JPEG', sha256: SHA }], task: { kind: 'engine', modes: ['ideal'] }, ...work },
  ...over,
});

describe('queue URL', () => {
  test('host, port, database, user and password; the password never shown', () => {
    const t = parseQueueUrl('redis://alice:p%40ss@10.0.0.5:6380/2');
    assert.deepEqual(t.options, { host: '10.0.0.5', port: 6380, db: 2, username: 'alice', password: 'p@ss' });
    assert.equal(t.display, 'redis://alice:***@10.0.0.5:6380/2');
    assert.equal(parseQueueUrl('redis://127.0.0.1:7000').options.port, 7000);
  });

  test('rediss:// turns TLS on; TLS parameters are honoured and need rediss://', () => {
    const t = parseQueueUrl('rediss://h:6390?tls-servername=redis.lab&tls-reject-unauthorized=false');
    assert.deepEqual(t.options.tls, { ca: undefined, cert: undefined, key: undefined, servername: 'redis.lab', rejectUnauthorized: false });
    assert.equal((parseQueueUrl('rediss://h:6390').options.tls as { rejectUnauthorized: boolean }).rejectUnauthorized, true);
    assert.throws(() => parseQueueUrl('redis://h:1?tls-servername=x'), /need the rediss:\/\/ scheme/);
    assert.throws(() => parseQueueUrl('rediss://h:1?tls-ca=/no/such/ca.pem'), /tls-ca/);
  });

  test('bad URLs fail naming what was expected', () => {
    for (const [url, msg] of [['localhost:6379', /scheme|not a URL/], ['http://h:1', /redis:\/\/ or rediss:\/\//], ['redis://h:1/99', /expected 0 … 15/], ['redis://h:1?eval=1', /unknown parameter 'eval'/]] as const) {
      assert.throws(() => parseQueueUrl(url), (e: unknown) => isVitpipeError(e) && msg.test(e.message), url);
    }
  });
});

describe('shard jobs are data', () => {
  test('a well-formed job passes', () => {
    assert.equal(ShardJobSchema.safeParse(job()).success, true);
  });

  test('paths that leave the data root, unknown task kinds, extra fields and bad hashes are refused', () => {
    const bad = [
      job({}, { inputs: [{ kind: 'image', path: '../../etc/passwd', sha256: SHA }] }),
      job({}, { inputs: [{ kind: 'image', path: '/etc/passwd', sha256: SHA }] }),
      job({}, { weights: { path: 'refs/../../x', digest: SHA } }),
      job({}, { task: { kind: 'script', source: 'process.exit(1)' } }),
      job({}, { task: { kind: 'engine', modes: ['ideal'], eval: 'x' } }),
      job({}, { weights: { path: 'refs', digest: 'nothex' } }),
      job({ runId: 'a:b' }),
      job({ extra: 1 }),
    ];
    for (const b of bad) assert.equal(ShardJobSchema.safeParse(b).success, false, JSON.stringify(b));
  });
});

describe('shard results', () => {
  test('typed arrays survive the trip exactly, and the shape is checked', () => {
    const logits = Int32Array.from([-(2 ** 31), 0, 102624, 2 ** 31 - 1]);
    const r = [{ file: 'a', logits: { ideal: logits }, wraps: [], wrapCount: 0, wrapTallies: [] }];
    const back = decodeResults('engine', encodeResults(r), 1);
    assert.deepEqual(back[0].logits.ideal, logits);
    const f = decodeResults('float', encodeResults([{ file: 'b', logits: Float64Array.from([0.1, -1e-300, Math.PI]) }]), 1);
    assert.deepEqual(f[0].logits, Float64Array.from([0.1, -1e-300, Math.PI]));
    assert.throws(() => decodeResults('engine', encodeResults(r), 2));
    assert.throws(() => decodeResults('prune', encodeResults(r), 1));
  });
});
