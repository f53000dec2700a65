import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { VitpipeError } from '../../src/diag/index.ts';
import { formatRefs, parseRefsText, readRefs } from '../../src/refs/index.ts';

function diagnosticOf(f: () => unknown): VitpipeError['diagnostic'] {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof VitpipeError, `expected a VitpipeError, got ${e}`);
    return e.diagnostic;
  }
  assert.fail('expected an error');
}

describe('refs text format', () => {
  test('round-trips: one line, comma-separated, trailing comma', () => {
    const text = '1,-2,30000000000,0,';
    assert.deepEqual(Array.from(parseRefsText(text, 'x.txt', [2, 2])), [1, -2, 30000000000, 0]);
    assert.equal(formatRefs(Int32Array.from([1, -2, 3])), '1,-2,3,');
  });
  test('a wrong element count names the file and the expected shape', () => {
    const d = diagnosticOf(() => parseRefsText('1,2,3,', 'w.txt', [2, 2]));
    assert.equal(d.code, 'BAD_REF_FILE');
    assert.equal(d.where, 'w.txt');
    assert.match(d.message, /has 3 elements; expected \[2\]\[2\] integers = 4/);
  });
  test('a malformed element names its index', () => {
    const d = diagnosticOf(() => parseRefsText('1,2,x7,4,', 'w.txt', [4]));
    assert.match(d.message, /element 2 is 'x7', not an integer \(expected \[4\] integers\)/);
    assert.match(diagnosticOf(() => parseRefsText('1,,3,', 'w.txt', [3])).message, /element 1/);
    assert.match(diagnosticOf(() => parseRefsText('1,2.5,3,', 'w.txt', [3])).message, /element 1 is '2.5'/);
  });
  test('a missing file is reported with its path and expected shape', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitpipe-refs-'));
    const d = diagnosticOf(() => readRefs(dir, 'attn_0_scalars', [2]));
    assert.equal(d.code, 'MISSING_REF_FILE');
    assert.equal(d.where, join(dir, 'attn_0_scalars.txt'));
    writeFileSync(join(dir, 'empty.txt'), '');
    assert.match(diagnosticOf(() => readRefs(dir, 'empty', [2])).message, /empty/);
  });
});
