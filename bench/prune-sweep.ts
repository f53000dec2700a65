/**
 * Issue 6 sweep: top-1 / top-5 of every pruning setting over ../shared/imagenet-sample (1000 photos) and the
 * simulated images/s of the planned design for each setting on a device.
 * Usage: npm run bench:prune -- [--limit N] [--threads N] [--device vck190] [--accuracy-only] [--reuse]
 * Writes bench/results/prune-predictions.jsonl (per photo, as they finish), prune-accuracy.json, and with the
 * pipeline side prune-sweep.json and prune-sweep.svg. `--reuse` takes the accuracy from prune-accuracy.json and
 * measures only settings it lacks.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { listImages } from '../src/image/index.ts';
import { loadDevice } from '../src/cost/index.ts';
import { MODEL_ZOO } from '../src/model/index.ts';
import { accuracyRows, formatSweepTable, pipelinePoint, runPrunedBatch, sweepGrid, sweepTable, weightsFor, type AccuracyRow, type PruneSetting } from '../src/prune/index.ts';
import { pruneSweepSvg } from '../src/report/prune-svg.ts';
import { argValue, IMAGENET_SAMPLE, peakMemoryMiB, REFS_DIR, requireShared } from './common.ts';

requireShared('bench:prune');
const limit = Number(argValue('--limit') ?? Infinity);
const threads = argValue('--threads') ? Number(argValue('--threads')) : undefined;
const files = listImages(IMAGENET_SAMPLE).slice(0, limit);
const settings = sweepGrid();
const outDir = join('bench', 'results');
mkdirSync(outDir, { recursive: true });
const accFile = join(outDir, 'prune-accuracy.json');

/** Run settings over the photos, logging per-photo predictions to a JSONL file as they finish. */
async function measure(list: PruneSetting[], jsonl: string, reference?: Map<string, number>): Promise<AccuracyRow[]> {
  writeFileSync(jsonl, JSON.stringify({ settings: list.map((s) => s.name) }) + '\n');
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: 'prune accuracy [{bar}] {value}/{total} | eta {eta_formatted}', noTTYOutput: true, notTTYSchedule: 30_000 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(files.length, 0);
  const t0 = performance.now();
  const results = await runPrunedBatch(
    files.map((file) => ({ kind: 'image' as const, file })),
    { weightsDir: REFS_DIR, settings: list },
    {
      threads,
      onProgress: (done, _n, r) => {
        appendFileSync(jsonl, JSON.stringify({ file: r.file, top5: r.predictions.map((p) => p.top5) }) + '\n');
        bar.update(done);
      },
    },
  );
  bar.stop();
  console.log(`${files.length} photos × ${list.length} settings in ${((performance.now() - t0) / 1000).toFixed(0)} s; peak memory ${peakMemoryMiB().toFixed(0)} MiB`);
  return accuracyRows(list, results, reference);
}

let accuracy: AccuracyRow[];
const mainJsonl = join(outDir, 'prune-predictions.jsonl');
if (process.argv.includes('--reuse') && existsSync(accFile)) {
  // reuse what was measured; measure only the settings that are missing (agreement against the stored unpruned run)
  const stored = (JSON.parse(readFileSync(accFile, 'utf8')) as { accuracy: AccuracyRow[] }).accuracy;
  const missing = settings.filter((s) => !stored.some((r) => r.setting === s.name));
  let extra: AccuracyRow[] = [];
  if (missing.length) {
    const lines = readFileSync(mainJsonl, 'utf8').trim().split('\n');
    const names = (JSON.parse(lines[0]) as { settings: string[] }).settings;
    const k = names.indexOf('none');
    const reference = new Map(lines.slice(1).map((l) => JSON.parse(l) as { file: string; top5: number[][] }).map((r) => [r.file, r.top5[k][0]]));
    extra = await measure(missing, join(outDir, 'prune-predictions-extra.jsonl'), reference);
  }
  accuracy = settings.map((s) => [...stored, ...extra].find((r) => r.setting === s.name)!);
  writeFileSync(accFile, JSON.stringify({ images: files.length, settings, accuracy }, null, 2) + '\n');
  console.log(`accuracy reused from ${accFile}${missing.length ? ` (measured now: ${missing.map((s) => s.name).join(', ')})` : ''}`);
} else {
  accuracy = await measure(settings, mainJsonl);
  writeFileSync(accFile, JSON.stringify({ images: files.length, settings, accuracy }, null, 2) + '\n');
}
for (const a of accuracy) {
  const f = (p: AccuracyRow['top1']) => `${p.percent.toFixed(1)} % [${p.ci95[0].toFixed(1)}, ${p.ci95[1].toFixed(1)}]`;
  console.log(`${a.setting.padEnd(26)} top-1 ${f(a.top1)}  top-5 ${f(a.top5)}  same top-1 as unpruned ${a.agreesWithFirst.percent.toFixed(1)} %`);
}
if (process.argv.includes('--accuracy-only')) process.exit(0);

// pipeline side: the planned design of each setting on the device, simulated block by block
const model = MODEL_ZOO['hgpipe-deit-tiny'];
const device = loadDevice(argValue('--device') ?? 'vck190');
const t1 = performance.now();
const points = settings.map((s) => {
  const p = pipelinePoint({ model, device, setting: s, weights: s.weights ? weightsFor(REFS_DIR, model, s) : undefined });
  console.error(`  ${s.name}: ${p.analyticInterval} cycles analytic, ${p.simulatedInterval ?? '-'} simulated (${((performance.now() - t1) / 1000).toFixed(0)} s)`);
  return p;
});
const table = sweepTable(accuracy, points);
const doc = {
  ...table,
  settings,
  designs: points.map((p) => ({
    setting: p.setting, tokens: p.tokens, peInCp: p.design.peInCp,
    groups: p.design.groups.map((g) => ({ tokens: g.tokens, lnCp: g.lnCp, blocks: g.blocks, choice: g.choice })),
    selectors: p.design.selectors, sparseMacs: p.design.sparseMacs, chain: p.chain,
  })),
};
writeFileSync(join(outDir, 'prune-sweep.json'), JSON.stringify(doc, null, 2) + '\n');
writeFileSync(join(outDir, 'prune-sweep.svg'), pruneSweepSvg(table));
console.log(formatSweepTable(table));
console.log(`pipeline side in ${((performance.now() - t1) / 1000).toFixed(0)} s; peak memory ${peakMemoryMiB().toFixed(0)} MiB; wrote ${join(outDir, 'prune-sweep.json')} and prune-sweep.svg`);
