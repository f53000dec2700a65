import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REFS_DIR, SKIP_NO_REFS, vitpipe } from '../shared.ts';

const dir = mkdtempSync(join(tmpdir(), 'vitpipe-gen-'));
const generate = (out: string, ...extra: string[]) =>
  vitpipe('generate', '--design', 'hgpipe-deit-tiny', '--weights', REFS_DIR, '--out', out, '--blocks', 'MLP0', '--json', ...extra);

describe('generate never changes files it did not write', { skip: SKIP_NO_REFS }, () => {
  const out = join(dir, 'project');
  it('records what it wrote, with hashes, and may regenerate over its own files', () => {
    assert.equal(generate(out).code, 0);
    const manifest = JSON.parse(readFileSync(join(out, 'vitpipe-generated.json'), 'utf8'));
    assert.ok(manifest.files.some((f: { path: string }) => f.path === 'Makefile'));
    assert.equal(manifest.files.length + 1, readdirSync(out, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).length);
    const again = generate(out);
    assert.equal(again.code, 0, again.stderr);
  });
  it('a folder holding a file it did not write is refused unless --force, and that file is never touched', () => {
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const refused = generate(out);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /IO_ERROR[^]*1 file\(s\) vitpipe did not write \(notes\.txt\)/);
    const forced = generate(out, '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(JSON.parse(forced.stdout).folder.keptForeign, ['notes.txt']);
    assert.equal(readFileSync(join(out, 'notes.txt'), 'utf8'), 'mine');
  });
  it('a user file where the project would write is refused even with --force; an edited generated file needs --force', () => {
    const user = mkdtempSync(join(tmpdir(), 'vitpipe-gen-user-'));
    writeFileSync(join(user, 'Makefile'), 'all:\n\techo mine\n');
    const r = generate(user, '--force');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /would overwrite 1 file\(s\) vitpipe did not write \(Makefile\); refusing even with --force/);
    assert.equal(readFileSync(join(user, 'Makefile'), 'utf8'), 'all:\n\techo mine\n');
    assert.deepEqual(readdirSync(user), ['Makefile'], 'nothing else written');
    writeFileSync(join(out, 'README.md'), 'edited');
    assert.match(generate(out, '--force').stdout, /"replacedEdited": \[\s*"README\.md"/);
  });
});

describe('generate refuses a design the simulator finds deadlocked', { skip: SKIP_NO_REFS }, () => {
  it('DEADLOCK with the wait-for cycle, nothing written; --allow-deadlock generates it', () => {
    const design = join(dir, 'design.json');
    assert.equal(vitpipe('simulate', '--design', 'hgpipe-deit-tiny', '--images', '1', '--no-network', '--save-design', design).code, 0);
    const doc = JSON.parse(readFileSync(design, 'utf8'));
    for (const b of doc.blocks) if (b.kind === 'attn') for (const s of b.streams) if (s.name.startsWith('resi_')) s.depth = 16;
    writeFileSync(design, JSON.stringify(doc));
    const out = join(dir, 'deadlocked');
    const args = ['generate', '--design', design, '--weights', REFS_DIR, '--out', out, '--blocks', 'ATTN0'];
    const r = vitpipe(...args);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[DEADLOCK\].*deadlocks.*wait-for cycle/s);
    assert.equal(existsSync(out), false);
    const allowed = vitpipe(...args, '--allow-deadlock');
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stderr, /warning: generating a design that deadlocks/);
    assert.ok(existsSync(join(out, 'Makefile')));
  });
});
