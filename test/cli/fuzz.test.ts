import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

test('a seeded fuzz run of the CLI: no crash, no hang, no file damage', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/fuzz/main.ts', '--seconds', '55', '--seed', '7', '--timeout', '60', '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { runs: number; tally: Record<string, Record<string, number>>; examples: string[] };
  assert.ok(doc.runs >= 6, `ran ${doc.runs} cases`);
  for (const [command, t] of Object.entries(doc.tally))
    for (const kind of ['crash', 'hang', 'damage']) assert.equal(t[kind], 0, `${command}: ${kind}\n${doc.examples.join('\n')}`);
});
