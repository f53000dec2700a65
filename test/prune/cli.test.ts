import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { REFS_DIR, SHARED_DIR, SKIP_NO_REFS } from '../shared.ts';

function vitpipe(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/vitpipe.js', ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('vitpipe prune-sweep (CLI errors)', { skip: SKIP_NO_REFS }, () => {
  const photos = join(SHARED_DIR, 'imagenet-sample');

  test('an unknown device is named, exit 1', () => {
    const r = vitpipe('prune-sweep', '--weights', REFS_DIR, '--image', photos, '--device', 'nosuch', '--limit', '1');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown device 'nosuch'/);
  });

  test('--reuse with a table lacking a setting names the file and the setting, exit 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitpipe-prune-'));
    const file = join(dir, 'acc.json');
    const p = { hits: 1, n: 1, percent: 100, ci95: [20, 100] };
    writeFileSync(file, JSON.stringify({ accuracy: [{ setting: 'none', top1: p, top5: p, agreesWithFirst: p }] }));
    const r = vitpipe('prune-sweep', '--weights', REFS_DIR, '--image', photos, '--device', 'vck190', '--limit', '1', '--reuse', file);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /acc\.json has no accuracy for setting 'keep 0\.9'/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
