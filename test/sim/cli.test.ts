import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildDesign, designToJson, hgpipeDesignConfig } from '../../src/ir/index.ts';
import { TINY } from '../ir/tiny.ts';

const dir = mkdtempSync(join(tmpdir(), 'vitpipe-sim-'));
const designFile = join(dir, 'tiny.json');
writeFileSync(designFile, designToJson(buildDesign(TINY, { ...hgpipeDesignConfig(2), name: 'tiny' })));
const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/vitpipe.js', ...args], { encoding: 'utf8' });

describe('vitpipe simulate / fifo-size', () => {
  it('simulate --json keeps the documented field names', () => {
    const svg = join(dir, 't.svg');
    const out = execFileSync(process.execPath, ['bin/vitpipe.js', 'simulate', '--design', designFile, '--images', '3', '--json', '--timeline', svg], { encoding: 'utf8' });
    const doc = JSON.parse(out);
    assert.equal(doc.design, 'tiny');
    assert.equal(doc.clockMhz, 425);
    assert.equal(doc.images, 3);
    assert.deepEqual(doc.blocks.map((b: { name: string }) => b.name), ['PATCH_EMBED', 'ATTN0', 'MLP0', 'ATTN1', 'MLP1', 'HEAD']);
    for (const b of doc.blocks) assert.ok(b.steadyInterval > 0 && b.firstImageLatency > 0, b.name);
    const n = doc.network;
    assert.ok(n.steadyInterval > 0 && n.imagesPerSecond > 0);
    assert.ok(Array.isArray(n.bottleneck) && n.bottleneck.length > 0);
    assert.equal(n.perImage.length, 3);
    for (const k of ['image', 'firstInLastIn', 'firstOutLastOut', 'firstInFirstOut', 'lastInLastOut', 'firstInLastOut']) assert.ok(k in n.perImage[0], k);
    assert.ok(doc.simulatedCycles > 0 && typeof doc.wallSeconds === 'number');
    const text = readFileSync(svg, 'utf8');
    assert.match(text, /^<svg xmlns/);
    assert.match(text, />ATTN1</);
  });
  it('simulate prints the five per-image columns as text', () => {
    const r = cli('simulate', '--design', designFile, '--images', '2', '--no-blocks');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /first in→last in\s+first out→last out\s+first in→first out\s+last in→last out\s+first in→last out/);
    assert.match(r.stdout, /images\/s at 425 MHz/);
    // The bottleneck processes, grouped by process name across the blocks that have them; the replay count is out of
    // the network's blocks (none were simulated alone here).
    assert.match(r.stdout, /bottleneck: layernorm in ATTN0, MLP0, ATTN1, MLP1 \(4 processes\)/);
    assert.match(r.stdout, /memoised: \d+ of 6 blocks replayed/);
  });
  it('a bad design file exits 1 naming block, process and field', () => {
    const doc = JSON.parse(readFileSync(designFile, 'utf8'));
    doc.blocks[2].processes[1].kind = 'warp-drive';
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify(doc));
    const r = cli('simulate', '--design', bad);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /\[BAD_DESIGN\] .*bad\.json: block MLP0, process resi_i_adapter, field kind: unknown process kind 'warp-drive'/);
  });
  it('a clock that is not a positive number is a usage error (exit 2) naming the option', () => {
    for (const v of ['-5', '0', 'fast']) {
      const r = cli('simulate', '--design', designFile, '--images', '1', '--clock-mhz', v);
      assert.equal(r.status, 2);
      assert.match(r.stderr, new RegExp(`--clock-mhz must be a positive decimal number up to 2000, got '${v}'`));
    }
  });
  it('--timeline without the network run is a usage error, and nothing is written', () => {
    const svg = join(dir, 'no-network.svg');
    const r = cli('simulate', '--design', designFile, '--images', '1', '--no-network', '--timeline', svg);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /'--timeline <out.svg>' cannot be used with option '--no-network'/);
    assert.equal(existsSync(svg), false);
  });
  it('fifo-size on a design that deadlocks with its own depths: a DEADLOCK diagnostic naming the block, exit 1', () => {
    const doc = JSON.parse(readFileSync(designFile, 'utf8'));
    for (const b of doc.blocks) if (b.kind === 'attn') for (const s of b.streams) if (s.name.startsWith('resi_')) s.depth = 16;
    const cut = join(dir, 'cut.json');
    writeFileSync(cut, JSON.stringify(doc));
    const r = cli('fifo-size', '--design', cut);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /\[DEADLOCK\] ATTN0: deadlocks with its own FIFO depths/);
    assert.doesNotMatch(r.stderr, /Terminating worker thread|at .*node_modules/);
  });
  it('fifo-size --json reports depths, savings and its method', () => {
    const out = join(dir, 'sized.json');
    const r = cli('fifo-size', '--design', designFile, '--json', '--search-bits', 'off', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.ok(doc.totals.savedBits > 0);
    assert.match(doc.method, /peak occupancy/);
    assert.ok(doc.verification.every((v: { interval: number; sizedInterval: number }) => v.sizedInterval === v.interval));
    assert.equal(JSON.parse(readFileSync(out, 'utf8')).format, 'vitpipe-design/1');
  });
});
