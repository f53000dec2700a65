import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { bundledTask } from '../../src/workers/index.ts';

test('an engine task module bundles into one ES module that records its sources and runs without tsx', async () => {
  const entry = new URL('../../src/engine/worker.ts', import.meta.url);
  const url = bundledTask(entry);
  assert.ok(url, 'bundle built');
  assert.match(url.href, /node_modules\/\.cache\/vitpipe\/task-[0-9a-f]+\.mjs$/);
  assert.equal(bundledTask(entry)?.href, url.href, 'same bundle the second time');
  const sources = (JSON.parse(readFileSync(`${fileURLToPath(url)}.json`, 'utf8')) as Array<[string, number, number]>).map(([f]) => f);
  assert.ok(sources.includes(fileURLToPath(entry)));
  assert.ok(sources.some((f) => f.endsWith('src/engine/fast/blocks.ts')));
  // Packages stay external: the bundle imports sharp rather than containing it.
  assert.match(readFileSync(fileURLToPath(url), 'utf8'), /from "sharp"/);
  assert.equal(typeof (await import(url.href)).default, 'function');
});

test('a module that cannot be bundled gives undefined (the worker then loads it through tsx)', () => {
  assert.equal(bundledTask(new URL('./no-such-task.ts', import.meta.url)), undefined);
});
