import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { readQuantManifest, runBatch, topK, type InputSpec, type RunResult } from '../../src/engine/index.ts';
import { fail } from '../../src/diag/index.ts';
import { isFloatModelFolder, readFloatModel, runFloatBatch } from '../../src/float/index.ts';
import { isQuantizedFolder } from '../../src/model/index.ts';
import { labelOfClass, listImages } from '../../src/image/index.ts';
import type { ArithMode, WrapEvent } from '../../src/ops/index.ts';
import { formatRefs } from '../../src/refs/index.ts';
import { writeFilesAtomically } from '../files.ts';
import { printJson, positiveInt } from '../print.ts';
import { LIMITS } from '../limits.ts';
import { startProgress } from '../progress.ts';
import { addQueueOptions, queueRun, type QueueCliOptions } from '../queue.ts';

interface InferOptions extends QueueCliOptions {
  weights: string;
  image?: string[];
  patches?: string;
  mode: ArithMode;
  types?: string;
  dump?: string;
  dumpAll?: boolean;
  json?: boolean;
  threads?: number;
  maxWraps: number;
  mergeTokens?: string;
  proportional: boolean;
}

/** The tensors `--dump` writes: every block's output and the logits, in the refs' own format. */
const BLOCK_OUTPUT = /^(patch_embed_output|attn_\d+_output|mlp_\d+_output|network_output)$/;

export function register(program: Command): void {
  addQueueOptions(program
    .command('infer')
    .description('run the bit-exact integer ViT on photos or on a patch matrix and print the top-5 classes')
    .requiredOption('--weights <dir>', 'HG-PIPE refs directory (weights, tables, scalars), or a float model folder from `vitpipe import`')
    .option('--image <paths...>', 'JPEG/PNG files or folders of them')
    .option('--patches <file>', 'a patch matrix in refs format (e.g. patch_embed_input.txt)')
    .addOption(new Option('--mode <mode>', 'integer arithmetic').choices(['ideal', 'hardware']).default('ideal'))
    .option('--types <file>', 'hardware widths (default: hardware-types.json beside the weights)')
    .option('--dump <dir>', 'write every block output and network_output in refs format')
    .option('--dump-all', 'with --dump: write every intermediate tensor the refs define')
    .option('--threads <n>', 'worker threads for many images (default: all cores)', positiveInt('--threads', LIMITS.threads))
    .option('--max-wraps <n>', 'wrap events to list per image in hardware mode', positiveInt('--max-wraps', LIMITS.wrapEvents), 1000)
    .option('--merge-tokens <r>', 'token merging (docs/TOKEN-MERGING.md): r tokens per layer, or r per layer as r0,r1,…; merged after each attention sub-layer')
    .option('--no-proportional', 'with --merge-tokens: no proportional attention (no softmax size bias)')
    .option('--json', 'print one JSON document'))
    .action(async (opts: InferOptions) => {
      if (!existsSync(opts.weights)) fail('IO_ERROR', 'no such folder', opts.weights, 'give an HG-PIPE refs folder or a model folder from `vitpipe import`');
      if (isFloatModelFolder(opts.weights)) return inferFloat(opts);
      const inputs = resolveInputs(opts);
      // A quantized folder names its own classes; HG-PIPE's refs are ImageNet's.
      const classes = isQuantizedFolder(opts.weights) ? readQuantManifest(opts.weights).classes : undefined;
      const label = (c: number) => (classes ? (classes[c] ?? String(c)) : labelOfClass(c));
      const req = { weightsDir: opts.weights, typesFile: opts.types, modes: [opts.mode], maxWrapEvents: opts.maxWraps, keepTrace: opts.dump !== undefined, ...mergeRequest(opts.mergeTokens, opts.proportional) };
      let results: RunResult[];
      if (opts.queue) {
        const q = queueRun({ ...opts, queue: opts.queue }, 'infer');
        results = await (await import('../../src/scale/index.ts')).queuedRunBatch('infer', inputs, req, q).finally(() => q.stop());
      } else {
        const progress = startProgress('infer', inputs.length, !opts.json);
        try {
          results = await runBatch(inputs, req, { threads: opts.threads, onProgress: (done, _t, last) => progress.update(done, basename(last.file)) });
        } finally {
          progress.stop();
        }
      }
      if (opts.dump) dump(opts.dump, results, opts.dumpAll === true);
      const doc = {
        results: results.map((r) => ({
          file: r.file,
          top5: topK(r.logits[opts.mode]!, 5).map((t) => ({ class: t.class, label: label(t.class), logit: t.logit })),
          ...(opts.mode === 'hardware' ? { wrapCount: r.wrapCount, wraps: r.wraps } : {}),
        })),
      };
      if (opts.json) printJson(doc);
      else for (const r of doc.results) printResult(r.file, r.top5, r.wrapCount, r.wraps);
    });
}

/** `--merge-tokens` as RunRequest fields (validated against the model depth when the engine runs). */
export function mergeRequest(text: string | undefined, proportional: boolean): { mergeTokens?: number | number[]; proportionalAttention?: boolean } {
  if (text === undefined) return {};
  const parts = text.split(',').map((x) => x.trim());
  if (!parts.every((x) => /^\d+$/.test(x))) fail('BAD_ARGUMENT', `expected r or r0,r1,… (non-negative integers), got '${text}'`, '--merge-tokens');
  return { mergeTokens: parts.length === 1 ? Number(parts[0]) : parts.map(Number), proportionalAttention: proportional };
}

function resolveInputs(opts: InferOptions): InputSpec[] {
  if (opts.image && opts.patches) fail('BAD_ARGUMENT', 'give either --image or --patches, not both');
  if (opts.patches) return [{ kind: 'patches', file: opts.patches }];
  if (opts.image) return listImages(opts.image).map((file) => ({ kind: 'image', file }));
  fail('BAD_ARGUMENT', 'nothing to run: give --image <files or folder> or --patches <file>');
}

function dump(dir: string, results: RunResult[], all: boolean): void {
  const files: { path: string; content: string }[] = [];
  for (const r of results) {
    const sub = results.length === 1 ? dir : join(dir, basename(r.file, extname(r.file)));
    for (const [name, data] of Object.entries(r.trace ?? {}))
      if (all || BLOCK_OUTPUT.test(name)) files.push({ path: join(sub, `${name}.txt`), content: formatRefs(data) });
  }
  writeFilesAtomically(files);
}

function printResult(file: string, top5: { class: number; label: string; logit: number }[], wrapCount?: number, wraps?: WrapEvent[]): void {
  const lines = [file];
  top5.forEach((t, i) => lines.push(`  ${i + 1}. ${String(t.class).padStart(3)} ${t.label.padEnd(32)} logit ${t.logit}`));
  if (wrapCount !== undefined) {
    lines.push(`  hardware wraps: ${wrapCount}`);
    for (const w of (wraps ?? []).slice(0, 5))
      lines.push(`    ${w.block} ${w.operator} ${w.field}[${w.element}]: ${w.value} → ${w.wrapped} (${w.type})`);
    if (wrapCount > 5) lines.push(`    … ${wrapCount - 5} more (--json lists them)`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}


/** A float model folder: photos through its own input pipeline and the float64 forward pass. */
async function inferFloat(opts: InferOptions): Promise<void> {
  if (opts.patches) fail('BAD_ARGUMENT', 'a float model folder runs photos (--image), not a patch matrix', '--patches');
  if (opts.mode !== 'ideal') fail('BAD_ARGUMENT', 'a float model has no hardware arithmetic; quantize it first (`vitpipe quantize`)', '--mode');
  if (opts.dump) fail('BAD_ARGUMENT', '--dump writes integer tensors in the refs format; a float model has none', '--dump');
  if (!opts.image) fail('BAD_ARGUMENT', 'nothing to run: give --image <files or folders>');
  const classes = readFloatModel(opts.weights).manifest.classes;
  const files = listImages(opts.image);
  let results;
  if (opts.queue) {
    const q = queueRun({ ...opts, queue: opts.queue }, 'infer');
    results = await (await import('../../src/scale/index.ts')).queuedFloatBatch('infer', opts.weights, files, q).finally(() => q.stop());
  } else {
    const progress = startProgress('infer', files.length, !opts.json);
    try {
      results = await runFloatBatch(opts.weights, files, { threads: opts.threads, onProgress: (done, _t, last) => progress.update(done, basename(last.file)) });
    } finally {
      progress.stop();
    }
  }
  const doc = {
    model: opts.weights,
    results: results.map((r) => ({
      file: r.file,
      top5: topK(r.logits, 5).map((t) => ({ class: t.class, label: classes[t.class] ?? String(t.class), logit: t.logit })),
    })),
  };
  if (opts.json) printJson(doc);
  else for (const r of doc.results) printResult(r.file, r.top5);
}
