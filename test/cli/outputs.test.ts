import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { vitpipe } from '../shared.ts';


test('plan: a design that does not fit is not written, and an existing --out file is kept', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitpipe-out-'));
  const out = join(dir, 'design.json');
  writeFileSync(out, 'my earlier design');
  const r = vitpipe('plan', '--model', 'hgpipe-deit-tiny', '--device', 'kv260', '--out', out, '--json');
  assert.equal(r.code, 1);
  assert.equal(JSON.parse(r.stdout).designFile, null);
  assert.equal(readFileSync(out, 'utf8'), 'my earlier design');
  assert.deepEqual(readdirSync(dir), ['design.json'], 'nothing else written or left behind');
});

test('outputs into folders that do not exist yet are created (simulate --save-design, fifo-size --out)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitpipe-out-'));
  const saved = join(dir, 'new', 'deeper', 'design.json');
  const r = vitpipe('simulate', '--design', 'hgpipe-deit-tiny', '--images', '1', '--no-network', '--save-design', saved);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(saved));
  assert.equal(JSON.parse(readFileSync(saved, 'utf8')).name, 'hgpipe-deit-tiny');
});

test('a model file with an absurd size is refused before any work, naming the field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitpipe-model-'));
  const file = join(dir, 'model.json');
  const model = { name: 'm', imageSize: 224, patchSize: 16, inChannels: 3, width: 192, depth: 12, heads: 3, mlpRatio: 2 ** 53, numClasses: 1000, tokens: 197, quant: { weightBits: 3, activationBits: 3, residualBits: 15, embedBits: 8, headBits: 8 } };
  writeFileSync(file, JSON.stringify(model));
  const r = vitpipe('plan', '--model', file, '--device', 'kv260');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /BAD_MODEL.*model\.json.*expected number to be <=64\s+→ at mlpRatio/s);
  writeFileSync(file, JSON.stringify({ ...model, mlpRatio: 4, depth: 100_000 }));
  assert.match(vitpipe('plan', '--model', file, '--device', 'kv260').stderr, /at depth/);
});

test('an output that cannot be written is an error before any work, and nothing is written (all outputs or none)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitpipe-out-'));
  writeFileSync(join(dir, 'plain'), 'x');
  const cases: Array<[string[], RegExp]> = [
    [['--save-design', dir], /\[IO_ERROR\] --save-design: .* is a folder; give a file name/],
    [['--save-design', join(dir, 'plain', 'd.json')], /\[IO_ERROR\] --save-design: cannot write .*: .*plain is a file, not a folder/],
  ];
  // /sys refuses new files even to root (a read-only folder as seen by any user)
  if (!isWritable('/sys/kernel')) cases.push([['--save-design', '/sys/kernel/vitpipe/d.json'], /\[IO_ERROR\] --save-design: cannot write .*folder \/sys\/kernel: permission denied/]);
  for (const [extra, message] of cases) {
    const t0 = performance.now();
    const r = vitpipe('simulate', '--design', 'hgpipe-deit-tiny', '--images', '1', ...extra);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.ok(performance.now() - t0 < 60_000);
  }
  // two outputs, the second unwritable: the first is not written either
  const r = vitpipe('plan', '--model', 'hgpipe-deit-tiny', '--device', 'vck190', '--no-verify', '--out', join(dir, 'design.json'), '--pareto', join(dir, 'plain', 'p.svg'));
  assert.equal(r.code, 1);
  assert.deepEqual(readdirSync(dir), ['plain']);
});

function isWritable(dir: string): boolean {
  try {
    writeFileSync(join(dir, '.vitpipe-test'), '');
    rmSync(join(dir, '.vitpipe-test'));
    return true;
  } catch {
    return false;
  }
}
