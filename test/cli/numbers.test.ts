import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { nonNegativeInt, positiveInt, positiveNumber } from '../../cli/print.ts';

test('integer options take digits only, within their bounds', () => {
  const p = positiveInt('--images', 10_000);
  assert.equal(p('7'), 7);
  assert.equal(p('10000'), 10_000);
  for (const bad of ['0', '-3', '1e3', '0x10', ' 7 ', '7 ', '+7', '3.5', 'NaN', 'Infinity', '', '10001', '99999999999999999999'])
    assert.throws(() => p(bad), /--images must be an integer from 1 to 10000, got/, `'${bad}' is refused`);
  assert.equal(nonNegativeInt('--margin-bits', 16)('0'), 0);
  assert.throws(() => nonNegativeInt('--margin-bits', 16)('17'), /from 0 to 16/);
});

test('real options take plain decimals, finite and within their bounds', () => {
  const p = positiveNumber('--clock-mhz', 2000);
  assert.equal(p('425'), 425);
  assert.equal(p('312.5'), 312.5);
  assert.equal(p('.5'), 0.5);
  assert.equal(positiveNumber('--eps', 1)('1e-5'), 1e-5);
  for (const bad of ['0', '-1', '0x10', ' 7', 'NaN', 'Infinity', '1e308', '2001', '1,5', ''])
    assert.throws(() => p(bad), /--clock-mhz must be a positive decimal number up to 2000, got/, `'${bad}' is refused`);
});

test('the CLI exits 2 with a one-line message for a malformed number', () => {
  const r = spawnSync(process.execPath, ['bin/vitpipe.js', 'simulate', '--design', 'hgpipe-deit-tiny', '--images', '1e9'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--images must be an integer from 1 to 10000, got '1e9'/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('fifo-size bounds its images per block run; explore refuses an empty address (it would listen everywhere)', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ['bin/vitpipe.js', ...args], { encoding: 'utf8', timeout: 30_000 });
  const fifo = run('fifo-size', '--design', 'hgpipe-deit-tiny', '--images', '2147483648');
  assert.equal(fifo.status, 2);
  assert.match(fifo.stderr, /--images must be an integer from 1 to 100, got '2147483648'/);
  const host = run('explore', '--no-build', '--port', '0', '--host', '');
  assert.equal(host.status, 2);
  assert.match(host.stderr, /--host must be an address such as 127\.0\.0\.1 or 0\.0\.0\.0, got ''/);
  const foreign = run('explore', '--no-build', '--port', '0', '--host', '10.9.9.9');
  assert.equal(foreign.status, 1);
  assert.match(foreign.stderr, /\[BAD_ARGUMENT\] --host: cannot listen on '10\.9\.9\.9': not an address of this machine/);
});
