import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEVICES, RESOURCE_KEYS, add, estimateDesign, resourcesByKind } from '../../src/cost/index.ts';
import { hgpipeDeitTiny } from '../../src/ir/index.ts';
import { resourceBreakdownSvg } from '../../src/report/resources-svg.ts';

const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/vitpipe.js', ...args], { encoding: 'utf8' });

describe('where the resources go', () => {
  const design = hgpipeDeitTiny();

  it('the kinds add up to the total, also when memories were rebound to UltraRAM', () => {
    for (const device of [DEVICES.vck190, DEVICES.zcu104]) {
      const e = estimateDesign(design, device);
      const kinds = resourcesByKind(design, e);
      const sum = add(...Object.values(kinds));
      for (const k of RESOURCE_KEYS) assert.ok(Math.abs(sum[k] - e.total[k]) < 1e-6, `${device.name} ${k}: ${sum[k]} vs ${e.total[k]}`);
      assert.ok(kinds.mac!.dsp > 0 && kinds.link!.lut > 0);
    }
    // zcu104's BRAM cannot hold the design: memories move to URAM, within the kinds that own them.
    const e = estimateDesign(design, DEVICES.zcu104);
    assert.ok(e.movedToUram.length > 0);
    const adjusted = resourcesByKind(design, e);
    const moved = Object.entries(adjusted).filter(([kind, r]) => {
      const plain = add(...e.blocks.map((b) => b.byKind[kind as keyof typeof b.byKind] ?? add()));
      return r.uram > plain.uram && r.bram < plain.bram;
    });
    assert.ok(moved.length > 0, 'some kind holds the rebound memories');
  });

  it('draws one bar per resource as a share of the device, parts beyond the palette as "other"', () => {
    const parts = Array.from({ length: 15 }, (_, i) => ({ name: `part${i}`, resources: { lut: 1000 * (i + 1), ff: 0, dsp: i, bram: 1, uram: 0 } }));
    const svg = resourceBreakdownSvg(parts, { lut: 200000, ff: 1, dsp: 100, bram: 10, uram: 0 }, { title: 't', maxUtilization: 0.9 });
    assert.match(svg, /^<svg xmlns/);
    for (const label of ['LUT', 'FF', 'DSP', 'BRAM36', 'URAM']) assert.ok(svg.includes(`>${label}</text>`), label);
    // LUT: 120,000 of 200,000 = 60 %; BRAM 15 of 10 = 150 % (beyond the device line); URAM: none on the device.
    assert.match(svg, />60\.0 %</);
    assert.match(svg, />150\.0 %</);
    assert.match(svg, /device has none/);
    assert.match(svg, /other \(4 kinds\)/);
    assert.ok(!svg.includes('>part14<'));
  });

  it('vitpipe estimate --svg writes the chart and --json lists the kinds', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitpipe-est-'));
    const out = join(dir, 'res.svg');
    const r = cli('estimate', '--design', 'hgpipe-deit-tiny', '--svg', out, '--json');
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.ok(doc.byKind.mac.lut > 0 && doc.byKind.fifo.bram > 0);
    assert.match(readFileSync(out, 'utf8'), /resources by process kind/);
    // An unwritable path: a clear error naming it, a non-zero exit, nothing left behind.
    const notADir = join(dir, 'plain-file');
    writeFileSync(notADir, 'x');
    const bad = cli('estimate', '--design', 'hgpipe-deit-tiny', '--svg', join(notADir, 'res.svg'));
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /IO_ERROR.*plain-file/);
    assert.deepEqual(readdirSync(dir).sort(), ['plain-file', 'res.svg']);
  });
});
