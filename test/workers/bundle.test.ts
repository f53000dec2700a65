import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { BUNDLE_CACHE, cachedBundle, freshBundle, taskBundleName } from '../../src/workers/esbuild-cache.mjs';

test('an engine task module bundles into one ES module that records its sources and runs without tsx', async () => {
  const entry = fileURLToPath(new URL('../../src/engine/worker.ts', import.meta.url));
  const name = taskBundleName(entry);
  const file = await cachedBundle(entry, name);
  assert.ok(file, 'bundle built');
  assert.ok(file.startsWith(BUNDLE_CACHE));
  assert.equal(await cachedBundle(entry, name), file, 'same bundle the second time');
  const sources = freshBundle(name)!.sources.map(([f]) => f);
  assert.ok(sources.includes(entry));
  assert.ok(sources.some((f) => f.endsWith('src/engine/fast/blocks.ts')));
  // Packages stay external: the bundle imports sharp rather than containing it.
  assert.match(readFileSync(file, 'utf8'), /from "sharp"/);
  assert.equal(typeof (await import(pathToFileURL(file).href)).default, 'function');
});

test('a bundle keeps each source\'s own import.meta location and is rebuilt when a source changes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitpipe-bundle-'));
  const name = `test-${process.pid}`;
  let first: string | undefined;
  let second: string | undefined;
  try {
    writeFileSync(join(dir, 'main.ts'), "import { where } from './sub/where.ts';\nexport const answer: string = where();\n");
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    const whereFile = join(sub, 'where.ts');
    writeFileSync(whereFile, "export const where = (): string => `${import.meta.dirname}|${new URL('x.txt', import.meta.url).pathname}|one`;\n");
    first = await cachedBundle(join(dir, 'main.ts'), name);
    assert.ok(first);
    assert.equal((await import(pathToFileURL(first).href)).answer, `${sub}|${join(sub, 'x.txt')}|one`);
    writeFileSync(whereFile, "export const where = (): string => 'two';\n");
    utimesSync(whereFile, new Date(), new Date(Date.now() + 5000));
    assert.equal(freshBundle(name), undefined, 'a changed source makes the bundle stale');
    second = await cachedBundle(join(dir, 'main.ts'), name);
    assert.ok(second && second !== first);
    assert.equal((await import(pathToFileURL(second).href)).answer, 'two');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    for (const built of [first, second]) if (built) rmSync(dirname(built), { recursive: true, force: true });
    rmSync(join(BUNDLE_CACHE, `${name}.json`), { force: true });
  }
});

test('a module that cannot be bundled gives undefined (the caller then loads it through tsx)', async () => {
  assert.equal(await cachedBundle(fileURLToPath(new URL('./no-such-task.ts', import.meta.url)), `test-missing-${process.pid}`), undefined);
});

test('the CLI runs from its bundle, and through tsx with VITPIPE_TSX=1, alike', () => {
  const bin = fileURLToPath(new URL('../../bin/vitpipe.js', import.meta.url));
  const bundled = spawnSync(process.execPath, [bin, 'estimate', '--design', 'hgpipe-deit-tiny', '--json'], { encoding: 'utf8' });
  const viaTsx = spawnSync(process.execPath, [bin, 'estimate', '--design', 'hgpipe-deit-tiny', '--json'], { encoding: 'utf8', env: { ...process.env, VITPIPE_TSX: '1' } });
  assert.equal(bundled.status, 0, bundled.stderr);
  assert.equal(viaTsx.status, 0, viaTsx.stderr);
  assert.deepEqual(JSON.parse(bundled.stdout), JSON.parse(viaTsx.stdout));
  assert.ok(freshBundle('cli'), 'the CLI bundle is recorded');
});
