import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { REFS_DIR, SKIP_NO_REFS, vitpipe } from '../shared.ts';


describe('vitpipe infer (CLI)', () => {
  test('without refs on disk: a clear error naming the missing file, exit 1, no stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitpipe-empty-'));
    writeFileSync(join(dir, 'p.txt'), '1,2,');
    const r = vitpipe('infer', '--weights', dir, '--patches', join(dir, 'p.txt'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /MISSING_REF_FILE/);
    assert.match(r.stderr, /\.txt: missing; expected \[/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  test('needs an input', () => {
    const r = vitpipe('infer', '--weights', '.');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /give --image/);
  });

  test('--dump writes files byte-identical to the refs, --json has the documented shape', { skip: SKIP_NO_REFS }, () => {
    const out = mkdtempSync(join(tmpdir(), 'vitpipe-dump-'));
    const r = vitpipe('infer', '--weights', REFS_DIR, '--patches', join(REFS_DIR, 'patch_embed_input.txt'), '--dump', out, '--json');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.results.length, 1);
    assert.deepEqual(Object.keys(doc.results[0]).sort(), ['file', 'top5']);
    assert.deepEqual(doc.results[0].top5[0], { class: 0, label: 'tench', logit: 102624 });
    const files = readdirSync(out).sort();
    assert.equal(files.length, 26); // patch_embed_output, 12 attn, 12 mlp, network_output
    for (const f of files) assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(REFS_DIR, f))), `${f} differs from the refs`);
  });

  test('hardware mode reports the wrap in JSON', { skip: SKIP_NO_REFS }, () => {
    const r = vitpipe('infer', '--weights', REFS_DIR, '--patches', join(REFS_DIR, 'patch_embed_input.txt'), '--mode', 'hardware', '--json');
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(r.stdout).results[0];
    assert.equal(res.wrapCount, 1);
    assert.equal(res.wraps[0].field, '__kq_cursor_t');
  });

  test('a malformed weight file fails with file and element, and --dump leaves nothing behind', { skip: SKIP_NO_REFS }, () => {
    const bad = mkdtempSync(join(tmpdir(), 'vitpipe-bad-'));
    cpSync(REFS_DIR, bad, { recursive: true, filter: (src) => !src.includes('_input') || src.endsWith('patch_embed_input.txt') });
    const text = readFileSync(join(bad, 'mlp_3_matmul2_bias.txt'), 'latin1').split(',');
    text[7] = '12z';
    writeFileSync(join(bad, 'mlp_3_matmul2_bias.txt'), text.join(','));
    const out = join(bad, 'out');
    const r = vitpipe('infer', '--weights', bad, '--patches', join(bad, 'patch_embed_input.txt'), '--dump', out);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /mlp_3_matmul2_bias\.txt: element 7 is '12z', not an integer \(expected \[192\] integers\)/);
    assert.equal(existsSync(out), false);
  });
});
