import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { vitpipe } from '../shared.ts';

test('plan --merge-tokens writes the merged design, and simulate runs it (file or --merge-tokens) at the planned interval', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitpipe-merge-cli-'));
  try {
    const file = join(dir, 'merged.json');
    const planned = vitpipe('plan', '--model', 'hgpipe-deit-tiny', '--device', 'vck190', '--merge-tokens', '16', '--no-verify', '--json', '--out', file);
    assert.equal(planned.code, 0, planned.stderr);
    const p = JSON.parse(planned.stdout);
    assert.deepEqual(p.mergeTokens, Array(12).fill(16));
    assert.equal(p.mergeUnits, 12);
    assert.equal(p.designFile, file);
    const simulated = vitpipe('simulate', '--design', file, '--images', '3', '--no-blocks', '--json');
    assert.equal(simulated.code, 0, simulated.stderr);
    assert.equal(JSON.parse(simulated.stdout).network.steadyInterval, p.analyticInterval, 'simulated = analytic for the merged chain');
    const direct = vitpipe('simulate', '--design', 'hgpipe-deit-tiny', '--merge-tokens', '16', '--device', 'vck190', '--images', '3', '--no-blocks', '--json');
    assert.equal(JSON.parse(direct.stdout).network.steadyInterval, p.analyticInterval);
    const bad = vitpipe('plan', '--model', 'hgpipe-deit-tiny', '--device', 'vck190', '--merge-tokens', '16,8');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--merge-tokens: 2 merge counts; expected one per layer \(12\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
