/**
 * Top-1 / top-5 of the bit-exact integer model over ../shared/imagenet-sample (1000 photos, one per class), from JPEG
 * to label through vitpipe's front end. Usage: npm run bench:accuracy -- [--mode ideal|hardware] [--limit N]
 * [--threads N]. Writes a per-class results file (bench/results/accuracy-<mode>.csv).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import cliProgress from 'cli-progress';
import { runBatch, topK } from '../src/engine/index.ts';
import { classOfFile, labelOfClass, listImages } from '../src/image/index.ts';
import type { ArithMode } from '../src/ops/index.ts';
import { argValue, IMAGENET_SAMPLE, peakMemoryMiB, REFS_DIR, requireShared, wilson95 } from './common.ts';

requireShared('bench:accuracy');
const mode = (argValue('--mode') ?? 'ideal') as ArithMode;
const limit = Number(argValue('--limit') ?? Infinity);
const threads = argValue('--threads') ? Number(argValue('--threads')) : undefined;
const files = listImages(IMAGENET_SAMPLE).slice(0, limit);

const bar = new cliProgress.SingleBar(
  { stream: process.stderr, format: 'accuracy [{bar}] {value}/{total} | eta {eta_formatted} | top-1 {top1}%', noTTYOutput: true, notTTYSchedule: 10_000 },
  cliProgress.Presets.shades_classic,
);
let seen = 0;
let hits = 0;
bar.start(files.length, 0, { top1: '-' });
const t0 = performance.now();
const results = await runBatch(
  files.map((file) => ({ kind: 'image' as const, file })),
  { weightsDir: REFS_DIR, modes: [mode], maxWrapEvents: 0 },
  {
    threads,
    onProgress: (done, _n, r) => {
      seen++;
      if (topK(r.logits[mode]!, 1)[0].class === classOfFile(r.file)) hits++;
      bar.update(done, { top1: ((100 * hits) / seen).toFixed(1) });
    },
  },
);
bar.stop();
const seconds = (performance.now() - t0) / 1000;

let top1 = 0;
let top5 = 0;
const rows = ['file,label,class_name,top1,top5,predicted,predicted_name,logit'];
for (const r of results) {
  const label = classOfFile(r.file);
  if (label === undefined) throw new Error(`${r.file}: file name does not start with an ImageNet WordNet id`);
  const best = topK(r.logits[mode]!, 5);
  const hit1 = best[0].class === label;
  const hit5 = best.some((b) => b.class === label);
  top1 += +hit1;
  top5 += +hit5;
  rows.push([basename(r.file), label, JSON.stringify(labelOfClass(label)), +hit1, +hit5, best[0].class, JSON.stringify(labelOfClass(best[0].class)), best[0].logit].join(','));
}
const outDir = join('bench', 'results');
mkdirSync(outDir, { recursive: true });
const csv = join(outDir, `accuracy-${mode}.csv`);
writeFileSync(csv, rows.join('\n') + '\n');

const n = results.length;
const fmt = (k: number) => {
  const [lo, hi] = wilson95(k, n);
  return `${((100 * k) / n).toFixed(2)} % (${k}/${n}; 95 % CI ${lo.toFixed(1)}–${hi.toFixed(1)})`;
};
console.log(`mode ${mode}: top-1 ${fmt(top1)}, top-5 ${fmt(top5)}`);
console.log(`${n} images in ${seconds.toFixed(1)} s (${(n / seconds).toFixed(2)} images/s, JPEG → label); peak memory ${peakMemoryMiB().toFixed(0)} MiB`);
console.log(`per-image results: ${csv}`);
