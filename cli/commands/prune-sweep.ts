import type { Command } from 'commander';
import { z } from 'zod';
import { writeFilesAtomically } from '../files.ts';
import { loadDevice } from '../../src/cost/index.ts';
import { fail, readJsonFile } from '../../src/diag/index.ts';
import { cachedWeights } from '../../src/engine/index.ts';
import { listImages } from '../../src/image/index.ts';
import { MODEL_ZOO } from '../../src/model/index.ts';
import {
  accuracyRows, formatSweepTable, loadSettings, sweepGrid, pipelinePoint, proportion, runPrunedBatch, sweepTable, weightsFor,
  type AccuracyRow, type PipelinePoint, type PruneSetting,
} from '../../src/prune/index.ts';
import { pruneSweepSvg, type SweepSvgOptions } from '../../src/report/prune-svg.ts';
import { positiveInt, positiveNumber, printJson } from '../print.ts';
import { LIMITS } from '../limits.ts';
import { startProgress } from '../progress.ts';
import { addQueueOptions, queueRun, type QueueCliOptions } from '../queue.ts';

export interface PruneSweepOptions extends QueueCliOptions {
  weights: string;
  image: string[];
  device: string;
  limit?: number;
  stride?: number;
  complement?: boolean;
  settings?: string;
  threads?: number;
  clockMhz?: number;
  json?: boolean;
  out?: string;
  svg?: string;
  reuse?: string;
  simulate: boolean;
}

const Hits = z.object({ hits: z.number().int().nonnegative(), n: z.number().int().positive() });
const ReusedTable = z.object({
  rows: z.array(z.object({ setting: z.string(), top1: Hits, top5: Hits, agreesWithUnpruned: Hits })).optional(),
  accuracy: z.array(z.object({ setting: z.string(), top1: Hits, top5: Hits, agreesWithFirst: Hits })).optional(),
});

/** Accuracy rows from an earlier --out table or bench:prune's prune-accuracy.json, when they cover these settings. */
function reusedAccuracy(file: string, settings: PruneSetting[], images: number): AccuracyRow[] {
  const parsed = ReusedTable.safeParse(readJsonFile(file, 'BAD_ARGUMENT', '--reuse table'));
  if (!parsed.success) fail('BAD_ARGUMENT', `not a prune-sweep table: ${z.prettifyError(parsed.error).replace(/\n+/g, '; ')}`, file);
  const doc = parsed.data;
  const rows = doc.accuracy ?? (doc.rows ?? []).map((r) => ({ setting: r.setting, top1: r.top1, top5: r.top5, agreesWithFirst: r.agreesWithUnpruned }));
  return settings.map((s) => {
    const r = rows.find((x) => x.setting === s.name);
    if (!r) fail('BAD_ARGUMENT', `${file} has no accuracy for setting '${s.name}'`, '--reuse', 'run without --reuse');
    if (r.top1.n !== images || r.top5.n !== images || r.agreesWithFirst.n !== images) fail('BAD_ARGUMENT', `${file} measured ${r.top1.n} photos, this run has ${images}`, '--reuse', 'match --limit or run without --reuse');
    return { ...r, top1: proportion(r.top1.hits, r.top1.n), top5: proportion(r.top5.hits, r.top5.n), agreesWithFirst: proportion(r.agreesWithFirst.hits, r.agreesWithFirst.n) };
  });
}

const SETTINGS_HELP = `
--settings file: a JSON array of settings (or {"settings": [...]}, as --out writes), each
  { "name": "…",
    "tokens":  { "stages": [{ "block": 3, "keep": 0.7 }, …], "fuse": true, "ties": "index" | "logit" },
    "weights": { "density": 0.9, "block": 16, "perMatmul": { "fc1": 0.75, "o": 1 }, "layers": [4, 5], "correctBias": true } }
  tokens: after attention block n (0-based), keep ceil(keep × image tokens), fuse the rest into one token or drop them.
  weights: zero the lowest-L1 block×block blocks of the 3-bit matmuls q, k, v, o, fc1, fc2 down to "density";
  "perMatmul" overrides it per kind (1 = dense), "layers" limits it to those layers. Patch embedding and head stay dense.
  "correctBias": add the mean of the removed terms to each bias (input means from the refs' own input image).
  Example, fc2 only at 0.75: { "name": "fc2 0.75", "weights": { "density": 1, "block": 16, "perMatmul": { "fc2": 0.75 } } }`;

export function register(program: Command): void {
  sweepOptions(program
    .command('prune-sweep')
    .description('token pruning and weight-block pruning: top-1/top-5 over labelled photos and the planned design\'s images/s per setting'))
    .addHelpText('after', SETTINGS_HELP)
    .action((opts: PruneSweepOptions) => runSweep(opts, (depth) => (opts.settings ? loadSettings(opts.settings, depth) : sweepGrid())));
}

/** The options prune-sweep and merge-sweep share. */
export function sweepOptions(cmd: Command): Command {
  return addQueueOptions(cmd
    .requiredOption('--weights <dir>', 'HG-PIPE refs directory (weights, tables, scalars)')
    .requiredOption('--image <paths...>', 'labelled ImageNet photos (file names start with the WordNet id) or folders of them')
    .requiredOption('--device <name|device.json>', 'device from the catalogue or a device file')
    .option('--settings <file.json>', 'the settings to evaluate instead of the built-in grid (see below)')
    .option('--stride <k>', 'every k-th photo in file-name order (photos 0, k, 2k, …; after --limit)', positiveInt('--stride'))
    .option('--complement', 'with --stride: the other photos (1…k−1, k+1…), e.g. a held-out set after screening on --stride')
    .option('--limit <n>', 'only the first n photos', positiveInt('--limit'))
    .option('--threads <n>', 'worker threads (default: all cores)', positiveInt('--threads', LIMITS.threads))
    .option('--clock-mhz <f>', 'clock for images/s (default: the device\'s typical clock)', positiveNumber('--clock-mhz', LIMITS.clockMHz))
    .option('--out <table.json>', 'write the table as JSON')
    .option('--svg <out.svg>', 'write top-1 against images/s as SVG')
    .option('--reuse <table.json>', 'take the accuracy from an earlier --out table (or bench:prune\'s prune-accuracy.json)')
    .option('--no-simulate', 'analytic throughput only (skip the cycle-level simulation of each chained design)')
    .option('--json', 'print one JSON document'));
}

/**
 * The sweep behind prune-sweep and merge-sweep: accuracy of every setting over the photos (or reused), the planned
 * and simulated design per setting, one table, optional JSON and SVG files.
 */
export async function runSweep(opts: PruneSweepOptions, settingsOf: (depth: number) => PruneSetting[], svg: SweepSvgOptions = {}): Promise<void> {
  const model = MODEL_ZOO['hgpipe-deit-tiny'];
  const device = loadDevice(opts.device);
  if (opts.complement && !opts.stride) fail('BAD_ARGUMENT', '--complement needs --stride', '--complement');
  const files = listImages(opts.image).slice(0, opts.limit ?? Infinity).filter((_, i) => (i % (opts.stride ?? 1) === 0) !== !!opts.complement);
  const settings = settingsOf(model.depth);
  cachedWeights(opts.weights, model); // fail early, naming the directory, on a bad refs folder
  let accuracy: AccuracyRow[];
  if (opts.reuse) accuracy = reusedAccuracy(opts.reuse, settings, files.length);
  else if (opts.queue) {
    const q = queueRun({ ...opts, queue: opts.queue }, `accuracy (${settings.length} settings)`);
    const inputs = files.map((file) => ({ kind: 'image' as const, file }));
    accuracy = accuracyRows(settings, await (await import('../../src/scale/index.ts')).queuedPrunedBatch('prune-sweep', inputs, { weightsDir: opts.weights, settings, model }, q).finally(() => q.stop()));
  } else {
    const progress = startProgress(`accuracy (${settings.length} settings)`, files.length, !opts.json);
    try {
      const results = await runPrunedBatch(
        files.map((file) => ({ kind: 'image' as const, file })),
        { weightsDir: opts.weights, settings, model },
        { threads: opts.threads, onProgress: (done) => progress.update(done) },
      );
      accuracy = accuracyRows(settings, results);
    } finally {
      progress.stop();
    }
  }
  const points: PipelinePoint[] = [];
  const progress = startProgress('pipeline', settings.length, !opts.json);
  try {
    for (const s of settings) {
      points.push(pipelinePoint({
        model, device, clockMhz: opts.clockMhz, setting: s, simulate: opts.simulate,
        weights: s.weights ? weightsFor(opts.weights, model, s) : undefined,
        onProgress: (what) => progress.update(points.length, what),
      }));
      progress.update(points.length, s.name);
    }
  } finally {
    progress.stop();
  }
  const table = sweepTable(accuracy, points);
  const doc = { ...table, settings, designs: points.map((p) => ({ setting: p.setting, tokens: p.tokens, groups: p.design.groups.map((g) => ({ tokens: g.tokens, lnCp: g.lnCp, blocks: g.blocks, choice: g.choice })), peInCp: p.design.peInCp, selectors: p.design.selectors, sparseMacs: p.design.sparseMacs, chain: p.chain })) };
  writeFilesAtomically([
    ...(opts.out ? [{ path: opts.out, content: JSON.stringify(doc, null, 2) + '\n' }] : []),
    ...(opts.svg ? [{ path: opts.svg, content: pruneSweepSvg(table, svg) }] : []),
  ]);
  if (opts.json) printJson(doc);
  else {
    process.stdout.write(formatSweepTable(table) + '\n');
    if (opts.out) process.stdout.write(`table: ${opts.out}\n`);
    if (opts.svg) process.stdout.write(`plot: ${opts.svg}\n`);
  }
}
