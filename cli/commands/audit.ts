import type { Command } from 'commander';
import { basename } from 'node:path';
import { runBatch, summariseAudit, type AuditSummary } from '../../src/engine/index.ts';
import { listImages } from '../../src/image/index.ts';
import { printJson, positiveInt } from '../print.ts';
import { LIMITS } from '../limits.ts';
import { startProgress } from '../progress.ts';
import { mergeRequest } from './infer.ts';
import { addQueueOptions, queueRun, type QueueCliOptions } from '../queue.ts';

interface AuditOptions extends QueueCliOptions {
  mergeTokens?: string;
  proportional: boolean;
  weights: string;
  image: string[];
  types?: string;
  threads?: number;
  json?: boolean;
}

export function register(program: Command): void {
  addQueueOptions(program
    .command('audit')
    .description("run photos in ideal and hardware arithmetic and summarise where HG-PIPE's declared widths wrap")
    .requiredOption('--weights <dir>', 'HG-PIPE refs directory')
    .requiredOption('--image <paths...>', 'JPEG/PNG files or folders of them')
    .option('--types <file>', 'hardware widths (default: hardware-types.json beside the weights)')
    .option('--threads <n>', 'worker threads (default: all cores)', positiveInt('--threads', LIMITS.threads))
    .option('--merge-tokens <r>', 'token merging (docs/TOKEN-MERGING.md): r tokens per layer, or r per layer as r0,r1,…; merged after each attention sub-layer')
    .option('--no-proportional', 'with --merge-tokens: no proportional attention (no softmax size bias)')
    .option('--json', 'print one JSON document'))
    .action(async (opts: AuditOptions) => {
      const files = listImages(opts.image);
      const inputs = files.map((file) => ({ kind: 'image' as const, file }));
      const req = { weightsDir: opts.weights, typesFile: opts.types, modes: ['ideal' as const, 'hardware' as const], maxWrapEvents: 0, ...mergeRequest(opts.mergeTokens, opts.proportional) };
      if (opts.queue) {
        const q = queueRun({ ...opts, queue: opts.queue }, 'audit');
        const summary = summariseAudit(await (await import('../../src/scale/index.ts')).queuedRunBatch('audit', inputs, req, q).finally(() => q.stop()));
        return opts.json ? printJson(summary) : printAudit(summary);
      }
      const progress = startProgress('audit', files.length, !opts.json);
      let wrapped = 0;
      const results = await runBatch(
        inputs,
        req,
        {
          threads: opts.threads,
          onProgress: (done, _t, last) => {
            if (last.wrapCount > 0) wrapped++;
            progress.update(done, `${basename(last.file)} · ${wrapped} with wraps`);
          },
        },
      ).finally(() => progress.stop());
      const summary = summariseAudit(results);
      if (opts.json) printJson(summary);
      else printAudit(summary);
    });
}

function printAudit(s: AuditSummary): void {
  const pct = (n: number) => ((100 * n) / s.images).toFixed(1);
  const out = [
    `images: ${s.images}; with at least one wrap: ${s.imagesWithWraps} (${pct(s.imagesWithWraps)} %); wrap events: ${s.totalEvents}`,
    `hardware top-1 differs from ideal top-1 on ${s.top1Disagreements.length} images (${pct(s.top1Disagreements.length)} %)`,
    '',
    `${'block'.padEnd(12)}${'operator'.padEnd(14)}${'field'.padEnd(26)}${'declared'.padEnd(9)}${'enough'.padEnd(8)}${'images'.padStart(7)}${'events'.padStart(9)}  range`,
  ];
  for (const f of s.fields)
    out.push(
      `${f.block.padEnd(12)}${f.operator.padEnd(14)}${f.field.padEnd(26)}${f.declared.padEnd(9)}${f.enough.padEnd(8)}${String(f.images).padStart(7)}${String(f.events).padStart(9)}  ${f.min}..${f.max}`,
    );
  if (s.top1Disagreements.length) {
    out.push('', 'top-1 changed by wraps:');
    for (const d of s.top1Disagreements.slice(0, 20)) out.push(`  ${basename(d.file)}: ideal ${d.ideal} → hardware ${d.hardware}`);
    if (s.top1Disagreements.length > 20) out.push(`  … ${s.top1Disagreements.length - 20} more (--json lists all)`);
  }
  process.stdout.write(out.join('\n') + '\n');
}
