import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

/** Start a process, send SIGINT when `ready` sees its output, and measure how long it takes to end. */
function interrupt(args: string[], ready: (out: string) => boolean): Promise<{ code: number | null; signal: string | null; ms: number; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let sent = 0;
    const check = () => {
      if (!sent && ready(out)) {
        sent = performance.now();
        p.kill('SIGINT');
      }
    };
    p.stdout.on('data', (d) => { out += d; check(); });
    p.stderr.on('data', (d) => { err += d; });
    const timer = setInterval(check, 50);
    p.on('exit', (code, signal) => {
      clearInterval(timer);
      resolve({ code, signal, ms: performance.now() - sent, stderr: err });
    });
  });
}

describe('Ctrl-C', () => {
  it('ends a long simulation at once and leaves no output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitpipe-int-'));
    const started = performance.now();
    const r = await interrupt(['bin/vitpipe.js', 'simulate', '--design', 'hgpipe-deit-tiny', '--images', '10000', '--timeline', join(dir, 't.svg')],
      () => performance.now() - started > 2500);
    assert.equal(r.signal ?? String(r.code), 'SIGINT', r.stderr);
    assert.ok(r.ms < 2000, `ended ${r.ms.toFixed(0)} ms after Ctrl-C`);
    assert.deepEqual(readdirSync(dir), []);
  });
  it('during the write of outputs: waits until every file is whole, then ends (130); no temporary left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitpipe-int-'));
    let seen = 0;
    // 300 ms into a write of 16 × 32 MiB (seconds on this class of machine)
    const r = await interrupt(['--import', 'tsx', 'test/cli/fixtures/write-many.ts', dir], (out) => out.includes('writing') && performance.now() - (seen ||= performance.now()) > 300);
    assert.equal(r.code, 130, r.stderr);
    const files = readdirSync(join(dir, 'sub'));
    assert.equal(files.length, 16, files.join(' '));
    for (const f of files) assert.equal(statSync(join(dir, 'sub', f)).size, 32 << 20);
    rmSync(dir, { recursive: true });
  });
});
