/**
 * bench:plan — the planner's acceptance runs and the resource model's calibration report.
 *   npm run bench:plan                 # plan table: HG-PIPE/DeiT and the CIFAR ViT (w8a8, w4a8), simulated where they fit
 *   npm run bench:plan -- --calibrate  # estimate of hgpipe-deit-tiny against the published per-block synthesis
 * Reads the published figures from $VITPIPE_SHARED (default ../shared); prints, never writes.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadQuantizedModel } from '../src/engine/index.ts';
import { writeFloatModel } from '../src/float/index.ts';
import { listImages } from '../src/image/index.ts';
import { importCheckpoint } from '../src/import/index.ts';
import { writeQuantizedFolder, quantizeFolder } from '../src/quant/index.ts';
import { cifarImportOptions } from './cifar.ts';
import { DEVICES, estimateDesign, readHlsEstimates, readSynthesisTable } from '../src/cost/index.ts';
import { hgpipeDeitTiny } from '../src/ir/index.ts';
import { MODEL_ZOO, type ViTConfig } from '../src/model/index.ts';
import { plan } from '../src/plan/index.ts';

const shared = resolve(process.cwd(), process.env.VITPIPE_SHARED ?? '../shared');
const pct = (a: number, b: number) => `${a >= b ? '+' : ''}${(((a / b) - 1) * 100).toFixed(1)} %`;
const row = (cells: Array<string | number>, w = 12) => cells.map((c, i) => (i === 0 ? String(c).padEnd(18) : String(c).padStart(w))).join('');

function calibrate(): void {
  if (!existsSync(join(shared, 'hgpipe', 'FACTS.md'))) {
    console.log(`needs ${shared}/hgpipe/FACTS.md (set VITPIPE_SHARED)`);
    return;
  }
  const est = estimateDesign(hgpipeDeitTiny(), DEVICES.vck190);
  const by = new Map(est.blocks.map((b) => [b.name, b]));
  const hls = new Map(readHlsEstimates(shared).map((h) => [h.block, h]));
  console.log('hgpipe-deit-tiny on VCK190: vitpipe estimate vs the authors\' per-block synthesis (BRAM here in 18-Kb halves, as the table)');
  console.log(row(['block', 'LUT est', 'LUT synth', 'LUT err', 'FF err', 'DSP est/syn', 'BRAM18 e/s', 'URAM e/s', 'HLS-eq LUT', 'HLS LUT', 'HLS err'], 12));
  for (const s of readSynthesisTable(shared)) {
    const b = by.get(s.block)!;
    const r = b.resources;
    const h = hls.get(s.block);
    const fitted = /^(ATTN|MLP)/.test(s.block) ? '' : ' (held out)';
    console.log(row([s.block + fitted, Math.round(r.lut), s.lut, pct(r.lut, s.lut), pct(r.ff, s.ff), `${r.dsp}/${s.dsp}`, `${r.bram * 2}/${s.bram18}`, `${r.uram}/${s.uram}`, Math.round(b.hls.lut), h?.lut ?? '-', h ? pct(b.hls.lut, h.lut) : '-'], 12));
  }
  const t = est.total;
  const hlsSum = readHlsEstimates(shared).reduce((a, h) => a + h.lut, 0);
  // the table lists 3 of the 12 ATTN and MLP blocks: extrapolate with their mean to all 26 blocks
  const rows = readSynthesisTable(shared);
  const mean = (re: RegExp, k: 'lut' | 'dsp' | 'bram18') => { const r = rows.filter((x) => re.test(x.block)); return r.reduce((a, x) => a + x[k], 0) / r.length; };
  const one = (n: string, k: 'lut' | 'dsp' | 'bram18') => rows.find((x) => x.block === n)?.[k] ?? 0;
  const sum = (k: 'lut' | 'dsp' | 'bram18') => 12 * mean(/^ATTN/, k) + 12 * mean(/^MLP/, k) + one('PATCH_EMBED', k) + one('HEAD', k);
  console.log(`per-block table extrapolated to 26 blocks: ${Math.round(sum('lut'))} LUT, ${Math.round(sum('dsp'))} DSP, ${Math.round(sum('bram18'))} BRAM18`);
  console.log(`vitpipe total: ${Math.round(t.lut)} LUT (${pct(t.lut, sum('lut'))} vs the table; ${pct(t.lut, 669_000)} vs the 669k implemented), ` +
    `${t.dsp} DSP (${pct(t.dsp, sum('dsp'))} vs the table; 312 implemented), ${t.bram} BRAM36 = ${t.bram * 2} BRAM18 (${pct(t.bram * 2, sum('bram18'))} vs the table; ` +
    `the published 1006.5 "BRAMs" exceed the device's 967 BRAM36, so their unit is unclear), ${t.uram} URAM, ${Math.round(t.ff)} FF`);
  console.log(`HLS-estimate equivalent: ${Math.round(est.hlsTotal.lut)} LUT vs the HLS tool's ${hlsSum} (${pct(est.hlsTotal.lut, hlsSum)})`);
}

/**
 * The trained CIFAR-10 ViT of ../shared/cifar10, imported and quantized here (256 calibration photos) at w8a8 and
 * w4a8: your own model through the planner. Absent data: no rows.
 */
async function cifarModels(): Promise<Record<string, ViTConfig>> {
  const dir = join(shared, 'cifar10');
  if (!existsSync(join(dir, 'vit_cifar10.pth'))) return {};
  const work = mkdtempSync(join(tmpdir(), 'vitpipe-bench-plan-'));
  writeFloatModel(join(work, 'm'), importCheckpoint(join(dir, 'vit_cifar10.pth'), cifarImportOptions()).model);
  const calib = listImages(join(dir, 'calib')).slice(0, 256);
  const out: Record<string, ViTConfig> = {};
  for (const bits of ['w8a8', 'w4a8'] as const) {
    writeQuantizedFolder(join(work, bits), await quantizeFolder(join(work, 'm'), calib, { bits }));
    out[`cifar-vit-${bits}`] = loadQuantizedModel(join(work, bits));
  }
  return out;
}

async function table(): Promise<void> {
  const models: Record<string, ViTConfig> = { ...MODEL_ZOO, ...(await cifarModels()) };
  const runs: Array<[string, string]> = [
    ['hgpipe-deit-tiny', 'vck190'], ['deit-tiny', 'vck190'], ['deit-small', 'vck190'], ['deit-base', 'vck190'],
    ['hgpipe-deit-tiny', 'zcu102'], ['hgpipe-deit-tiny', 'kv260'],
    ...(models['cifar-vit-w8a8'] ? ([
      ['cifar-vit-w8a8', 'kv260'], ['cifar-vit-w8a8', 'zcu102'], ['cifar-vit-w8a8', 'vck190'], ['cifar-vit-w4a8', 'kv260'],
    ] as Array<[string, string]>) : []),
  ];
  console.log(row(['model / device', 'seconds', 'fits', 'interval', 'simulated', 'images/s', 'per kLUT', 'LUT', 'DSP', 'BRAM36', 'URAM'], 11));
  const notes: string[] = [];
  for (const [m, d] of runs) {
    const t0 = performance.now();
    const r = plan({ model: models[m], device: DEVICES[d] });
    const s = ((performance.now() - t0) / 1000).toFixed(1);
    const res = r.resources;
    console.log(row([`${m} / ${d}`, s, r.fits ? 'yes' : 'NO', r.steadyInterval, r.verification ? 'yes' : 'no', Math.round(r.imagesPerSecond), r.imagesPerSecondPerKLut.toFixed(1), Math.round(res.lut), Math.round(res.dsp), Math.ceil(res.bram * 2) / 2, Math.ceil(res.uram)], 11));
    if (r.shortfall) notes.push(`${m} / ${d}: does not fit — ${r.shortfall.message}`);
  }
  for (const n of notes) console.log(n);
}

if (process.argv.includes('--calibrate')) calibrate();
else await table();
console.log(`peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
