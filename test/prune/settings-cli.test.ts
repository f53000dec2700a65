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

describe('vitpipe prune-sweep --settings / --stride', { skip: SKIP_NO_REFS }, () => {
  const photos = join(SHARED_DIR, 'imagenet-sample');
  const common = ['prune-sweep', '--weights', REFS_DIR, '--image', photos, '--device', 'vck190', '--limit', '1'];

  test('a bad settings file is named with the setting and field, exit 1', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'vitpipe-settings-')), 'bad.json');
    writeFileSync(file, JSON.stringify([{ name: 'x', weights: { density: 0.9, block: 16, perMatmul: { fc1: 0 } } }]));
    const r = vitpipe(...common, '--settings', file);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.json/);
    assert.match(r.stderr, /fc1/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  test('--complement needs --stride', () => {
    const r = vitpipe(...common, '--complement');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--complement needs --stride/);
  });

  test('--help documents the settings file', () => {
    const r = vitpipe('prune-sweep', '--help');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /perMatmul/);
    assert.match(r.stdout, /--stride/);
  });
});
