import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEVICES, bram18Count, fifoCost, loadDevice, memoryCost, uramCount } from '../../src/cost/index.ts';
import { isVitpipeError, type DiagnosticCode } from '../../src/diag/index.ts';

const isVitpipeErrorCode = (e: unknown, code: DiagnosticCode) => isVitpipeError(e) && e.diagnostic.code === code;

describe('device catalogue', () => {
  it('has the eight boards with VCK190 as in FACTS (899,840 LUT, 1,968 DSP, 967 BRAM36, 463 URAM)', () => {
    for (const n of ['zcu102', 'zcu104', 'kv260', 'vck190', 'vek280', 'u250', 'u280', 'u55c']) assert.ok(DEVICES[n], n);
    assert.deepEqual(DEVICES.vck190.capacity, { lut: 899_840, ff: 1_799_680, dsp: 1_968, bram: 967, uram: 463 });
    assert.equal(loadDevice('VCK190').name, 'vck190');
  });

  it('loads a user device file and rejects a bad one naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitpipe-dev-'));
    const good = join(dir, 'mine.json');
    writeFileSync(good, JSON.stringify({ name: 'mine', capacity: { lut: 1000, ff: 2000, dsp: 4, bram: 2.5, uram: 0 }, clockMhz: 200 }));
    assert.equal(loadDevice(good).capacity.bram, 2.5);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ name: 'bad', capacity: { lut: -1, ff: 2000, dsp: 4, bram: 2.25, uram: 0 }, clockMhz: 200 }));
    assert.throws(() => loadDevice(bad), (e) => isVitpipeErrorCode(e, 'BAD_DEVICE') && /lut/.test(String(e)));
    assert.throws(() => loadDevice('nosuch'), (e) => isVitpipeErrorCode(e, 'UNKNOWN_NAME'));
  });
});

describe('memory mapping', () => {
  it('counts BRAM halves by the best aspect ratio', () => {
    assert.equal(bram18Count(512, 216), 6); // HG-PIPE q weights: 6 halves
    assert.equal(bram18Count(48_000, 32), 96); // HG-PIPE head weights: the synthesized 96
    assert.equal(uramCount(12_288, 52), 3); // the attention residual FIFO: 3 URAMs
  });

  it('puts the deep residual FIFO in URAM, ROMs never, small arrays in LUTRAM', () => {
    assert.equal(fifoCost(12_288, 52).impl, 'uram');
    assert.equal(memoryCost({ depth: 48_000, width: 32, rom: true, uramAvailable: true }).style, 'bram');
    assert.equal(memoryCost({ depth: 32, width: 36 }).style, 'lutram');
    assert.equal(fifoCost(12_288, 52, false).impl, 'bram');
  });
});
