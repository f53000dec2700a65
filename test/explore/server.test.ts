import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openZip, readZipEntry } from '../../src/checkpoint/zip.ts';
import { startServer, type ExploreServer } from '../../cli/explore/server.ts';
import { inspectWeights } from '../../cli/explore/weights.ts';
import { zipFiles } from '../../cli/explore/zip.ts';
import { HAVE_REFS, REFS_DIR, SKIP_NO_REFS } from '../shared.ts';

describe('vitpipe explore: the server', () => {
  let srv: ExploreServer;
  before(async () => {
    srv = await startServer({ host: '127.0.0.1', port: 0, weights: HAVE_REFS ? inspectWeights(REFS_DIR) : null, version: 'test' });
  });
  after(() => new Promise<void>((ok) => srv.server.close(() => ok())));

  it('a port already taken is a clear error naming the port', async () => {
    const port = Number(new URL(srv.url).port);
    await assert.rejects(startServer({ host: '127.0.0.1', port, weights: null, version: 'test' }), /port \d+ on 127\.0\.0\.1 is already in use/);
  });
  it('serves nothing outside the page and the refs files loading reads', async () => {
    for (const p of ['weights/%E0%A4%A', 'weights/..%2F..%2Fetc%2Fpasswd', 'weights/patch_embed_input.txt', '..%2Fpackage.json', 'weights-types.json/..%2F..%2Fpackage.json'])
      assert.equal((await fetch(srv.url + p)).status, 404, p);
  });
  it('a file that is not a photo: a BAD_IMAGE answer in words', async () => {
    const r = await fetch(srv.url + 'api/decode', { method: 'POST', body: 'not a photo', headers: { 'x-file-name': 'notes.txt' } });
    assert.equal(r.status, 400);
    const { error } = await r.json();
    assert.equal(error.code, 'BAD_IMAGE');
    assert.match(error.message, /cannot decode image/);
    assert.equal(error.where, 'notes.txt');
  });
  it('lists exactly the refs files the loader reads, and serves them', { skip: SKIP_NO_REFS }, async () => {
    const info = await (await fetch(srv.url + 'api/info')).json();
    assert.equal(info.weights.error, null);
    assert.ok(info.weights.files.includes('attn_0_gen_q_matmul_weight'));
    assert.ok(!info.weights.files.includes('patch_embed_input'), 'activations are not weights');
    assert.equal((await fetch(srv.url + 'weights/head_matmul_bias.txt')).status, 200);
  });
  it('a refs folder with a missing file: the error names it', { skip: SKIP_NO_REFS }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitpipe-refs-'));
    try {
      for (const f of readdirSync(REFS_DIR)) if (f !== 'attn_4_v_q_table_m.txt') symlinkSync(join(REFS_DIR, f), join(dir, f));
      const w = inspectWeights(dir);
      assert.match(w.error ?? '', /attn_4_v_q_table_m\.txt: missing/);
      assert.deepEqual(w.files, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('vitpipe explore: the HLS zip', () => {
  it('reads back with the zip reader: names, contents and CRCs', () => {
    const files = [{ path: 'p/a.cpp', content: 'int main() { return 0; }\n' }, { path: 'p/sub/ü.txt', content: 'é'.repeat(1000) }];
    const zip = openZip(zipFiles(files), 'test.zip');
    for (const f of files) {
      const e = zip.byName.get(f.path);
      assert.ok(e, f.path);
      assert.equal(Buffer.from(readZipEntry(zip, e)).toString('utf8'), f.content);
    }
  });
});
