import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REFS_DIR, SKIP_NO_REFS, vitpipe } from '../shared.ts';

describe('bad input files are named for what they are', { skip: SKIP_NO_REFS }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitpipe-in-'));
  const refs = join(dir, 'refs');
  cpSync(REFS_DIR, refs, { recursive: true });
  const file = join(refs, 'patch_embed_matmul_weight.txt');
  const original = readFileSync(file, 'latin1');
  const infer = () => vitpipe('infer', '--weights', refs, '--patches', join(REFS_DIR, 'patch_embed_input.txt'));

  it('a symbolic-link loop is a loop, not "missing"', () => {
    rmSync(file);
    symlinkSync(file, file);
    const r = infer();
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[BAD_REF_FILE\] .*patch_embed_matmul_weight\.txt: cannot read .*symbolic-link loop/);
    rmSync(file);
  });
  it('a file far larger than its shape allows is refused unread, with both sizes', () => {
    writeFileSync(file, '1,'.repeat(4 << 20));
    const r = infer();
    assert.equal(r.code, 1);
    assert.match(r.stderr, /refs file of \[192\]\[768\] integers is 8\.0 MiB; at most 3\.4 MiB is accepted/);
  });
  it('a number in a message is shown whole (up to 40 characters), never silently cut', () => {
    const values = original.split(',');
    values[5] = '100000000000000000000';
    writeFileSync(file, values.join(','));
    const r = infer();
    assert.equal(r.code, 1);
    assert.match(r.stderr, /element 5 is '100000000000000000000', not an integer/);
    writeFileSync(file, original);
  });
});

it('a design whose model name is empty is refused by every command that reads designs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitpipe-in-'));
  const design = join(dir, 'd.json');
  assert.equal(vitpipe('simulate', '--design', 'hgpipe-deit-tiny', '--images', '1', '--no-network', '--save-design', design).code, 0);
  writeFileSync(design, JSON.stringify({ ...JSON.parse(readFileSync(design, 'utf8')), model: '' }));
  const r = vitpipe('estimate', '--design', design);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\[BAD_DESIGN\].*model/s);
});

it('a choice outside its list is a usage error (exit 2)', () => {
  const r = vitpipe('simulate', '--design', 'hgpipe-deit-tiny', '--engine', 'warp');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /argument 'warp' is invalid\. Allowed choices are fast, reference/);
});
