import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { DEVICES, estimateDesign, readHlsEstimates, readSynthesisTable } from '../../src/cost/index.ts';
import { hgpipeDeitTiny } from '../../src/ir/index.ts';

const SHARED = resolve(process.cwd(), process.env.VITPIPE_SHARED ?? '../shared');
const SKIP = existsSync(join(SHARED, 'hgpipe', 'FACTS.md')) ? false : `needs ${SHARED}/hgpipe/FACTS.md (set VITPIPE_SHARED)`;

describe('resource estimate of hgpipe-deit-tiny against the published synthesis', { skip: SKIP }, () => {
  const est = estimateDesign(hgpipeDeitTiny(), DEVICES.vck190);
  const byName = new Map(est.blocks.map((b) => [b.name, b]));

  it('is within 10 % LUT of every calibrated ATTN and MLP row', () => {
    const rows = readSynthesisTable(SHARED).filter((r) => /^(ATTN|MLP)/.test(r.block));
    assert.ok(rows.length >= 6);
    for (const r of rows) {
      const e = byName.get(r.block)!.resources.lut;
      assert.ok(Math.abs(e / r.lut - 1) <= 0.1, `${r.block}: estimate ${e} vs synthesis ${r.lut}`);
    }
  });

  it('is within 20 % LUT of the held-out PATCH_EMBED and HEAD', () => {
    const rows = readSynthesisTable(SHARED).filter((r) => r.block === 'PATCH_EMBED' || r.block === 'HEAD');
    assert.equal(rows.length, 2);
    for (const r of rows) {
      const e = byName.get(r.block)!.resources.lut;
      assert.ok(Math.abs(e / r.lut - 1) <= 0.2, `${r.block}: estimate ${e} vs synthesis ${r.lut}`);
    }
  });

  it('matches DSPs of the attention and MLP blocks and BRAM (18-Kb units in the table) within 20 %', () => {
    for (const r of readSynthesisTable(SHARED)) {
      const b = byName.get(r.block)!.resources;
      if (r.block !== 'PATCH_EMBED') assert.equal(b.dsp, r.dsp, `${r.block} DSP`);
      assert.ok(Math.abs((2 * b.bram) / r.bram18 - 1) <= 0.2, `${r.block}: ${2 * b.bram} BRAM18 vs ${r.bram18}`);
    }
  });

  it('sums to within 5 % of the 669k LUTs implemented and reports the HLS-equivalent near the HLS total', () => {
    assert.ok(Math.abs(est.total.lut / 669_000 - 1) < 0.05, `total LUT ${est.total.lut}`);
    const hls = readHlsEstimates(SHARED).reduce((s, r) => s + r.lut, 0);
    assert.ok(Math.abs(est.hlsTotal.lut / hls - 1) < 0.1, `HLS-equivalent ${est.hlsTotal.lut} vs ${hls}`);
  });
});
