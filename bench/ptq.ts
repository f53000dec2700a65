/**
 * Post-training quantization of the trained CIFAR-10 ViT at every bit setting: quantization time with 1,000
 * calibration photos, top-1 on the 5,000 test photos in ideal and hardware arithmetic (95 % Wilson intervals), the
 * drop from the float model, and the wraps hardware arithmetic sees at the default margin. Writes the table into the
 * README (between its ptq markers) and bench/results/ptq.md, and prints it.
 * Usage: npm run bench:ptq -- [--bits w8a8,w4a8] [--calib N] [--test N]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBatch, topK } from '../src/engine/index.ts';
import { runFloatBatch, writeFloatModel } from '../src/float/index.ts';
import { listImages } from '../src/image/index.ts';
import { importCheckpoint } from '../src/import/index.ts';
import { BIT_SETTINGS, type BitSetting } from '../src/model/index.ts';
import { quantizeFolder, writeQuantizedFolder } from '../src/quant/index.ts';
import { CIFAR_DIR, CIFAR_CHECKPOINT, HAVE_CIFAR, cifarImportOptions } from './cifar.ts';
import { argValue, peakMemoryMiB, wilson95 } from './common.ts';

if (!HAVE_CIFAR) {
  console.log(`bench:ptq: skipped — needs the CIFAR-10 model and images under ${CIFAR_DIR} (set VITPIPE_SHARED)`);
  process.exit(0);
}
const settings = (argValue('--bits')?.split(',') ?? [...BIT_SETTINGS]) as BitSetting[];
const calib = listImages(join(CIFAR_DIR, 'calib')).slice(0, Number(argValue('--calib') ?? 1000));
const labels = new Map(
  readFileSync(join(CIFAR_DIR, 'test', 'labels.txt'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','))
    .map(([path, label]) => [join(CIFAR_DIR, 'test', path), Number(label)] as const),
);
const test = [...labels.keys()].slice(0, Number(argValue('--test') ?? 5000));
const work = mkdtempSync(join(tmpdir(), 'vitpipe-bench-ptq-'));
const floatDir = join(work, 'm');
writeFloatModel(floatDir, importCheckpoint(CIFAR_CHECKPOINT, cifarImportOptions()).model);

const pct = (k: number) => `${((100 * k) / test.length).toFixed(2)}`;
const ci = (k: number) => wilson95(k, test.length).map((v) => v.toFixed(1)).join('–');
const log = (s: string) => process.stderr.write(s + '\n');

log(`float model on ${test.length} test photos …`);
const floatResults = await runFloatBatch(floatDir, test);
const floatCorrect = floatResults.filter((r) => topK(r.logits, 1)[0].class === labels.get(r.file)).length;
const rows: string[] = [];
for (const bits of settings) {
  log(`${bits}: quantizing with ${calib.length} calibration photos …`);
  const t0 = performance.now();
  const q = await quantizeFolder(floatDir, calib, { bits });
  const seconds = (performance.now() - t0) / 1000;
  const dir = join(work, bits);
  writeQuantizedFolder(dir, q);
  log(`${bits}: quantized in ${seconds.toFixed(1)} s; running ${test.length} test photos in ideal and hardware arithmetic …`);
  const results = await runBatch(test.map((file) => ({ kind: 'image' as const, file })), { weightsDir: dir, modes: ['ideal', 'hardware'], maxWrapEvents: 0 });
  const correct = (mode: 'ideal' | 'hardware') => results.filter((r) => topK(r.logits[mode]!, 1)[0].class === labels.get(r.file)).length;
  const ideal = correct('ideal');
  const hardware = correct('hardware');
  const agree = results.filter((r, i) => topK(r.logits.ideal!, 1)[0].class === topK(floatResults[i].logits, 1)[0].class).length;
  const wraps = results.reduce((s, r) => s + r.wrapCount, 0);
  const wrapped = results.filter((r) => r.wrapCount > 0).length;
  rows.push(
    `| ${bits} | ${pct(ideal)} [${ci(ideal)}] | ${((100 * (ideal - floatCorrect)) / test.length).toFixed(2)} | ${pct(hardware)} | ${agree} / ${test.length} | ${wraps} on ${wrapped} photos | ${seconds.toFixed(1)} s |`,
  );
  log(rows[rows.length - 1]);
}
const table = [
  `Float model: top-1 ${pct(floatCorrect)} % [${ci(floatCorrect)}] on ${test.length} test photos; ${calib.length} calibration photos (CIFAR-10 training images); widths at the default margin (1 bit).`,
  '',
  '| bits | top-1 % (ideal) [95 % CI] | Δ vs float (points) | top-1 % (hardware widths) | same top-1 as float | wraps in hardware arithmetic | quantization time |',
  '|---|---|---|---|---|---|---|',
  ...rows,
].join('\n');
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/ptq.md', table + '\n');
if (settings.length === BIT_SETTINGS.length && test.length === 5000 && calib.length === 1000) {
  const readme = readFileSync('README.md', 'utf8');
  const begin = '<!-- ptq:begin -->';
  const end = '<!-- ptq:end -->';
  const a = readme.indexOf(begin);
  const b = readme.indexOf(end);
  if (a >= 0 && b > a) {
    writeFileSync('README.md', readme.slice(0, a + begin.length) + '\n' + table + '\n' + readme.slice(b));
    log('README table updated');
  }
}
console.log(table);
console.log(`peak memory ${peakMemoryMiB().toFixed(0)} MiB`);
rmSync(work, { recursive: true, force: true });
