import { InvalidArgumentError, type Command } from 'commander';
// Types only from the scale layer's index: bullmq and ioredis load when a run is queued, not at every start.
import type { QueueRunOptions, RunReport, ShardProgress } from '../src/scale/index.ts';
import { RunIdSchema } from '../src/scale/schema.ts';
import { writeFilesAtomically } from './files.ts';
import { positiveInt } from './print.ts';
import { startProgress, type Progress } from './progress.ts';

/** The options every command that can run on workers takes (`--queue` and its companions). */
export interface QueueCliOptions {
  queue?: string;
  runId?: string;
  shardSize?: number;
  dataRoot?: string;
  queueReport?: string;
  json?: boolean;
}

export function addQueueOptions(cmd: Command): Command {
  return cmd
    .option('--queue <url>', 'run on `vitpipe worker`s sharing this Redis: redis://[user:password@]host:port (rediss:// for TLS)')
    .option('--run-id <id>', 'with --queue: the run to create or resume (default: a hash of the command and its inputs)', (v: string) => {
      if (!RunIdSchema.safeParse(v).success) throw new InvalidArgumentError(`--run-id must be 1 to 64 letters, digits, _ or -, got '${v}'`);
      return v;
    })
    .option('--shard-size <n>', 'with --queue: photos per shard (default 64; 16 for prune-sweep)', positiveInt('--shard-size', 4096))
    .option('--data-root <dir>', 'with --queue: folder job paths are relative to (default: the deepest one holding the weights and photos)')
    .option('--queue-report <file.json>', 'with --queue: write every shard computation and which result was counted');
}

/**
 * The queue options of a command's run, with progress on stderr (a bar on a terminal, a line every 15 s otherwise;
 * nothing under --json) and the report written when the run ends. Call `stop()` when the run ends either way.
 */
export function queueRun(opts: QueueCliOptions & { queue: string }, label: string): QueueRunOptions & { stop(): void } {
  let bar: Progress | undefined;
  let lastLine = 0;
  const plain = !opts.json && !process.stderr.isTTY;
  const onProgress = (p: ShardProgress) => {
    const detail = `${p.shardsDone}/${p.shards} shards · ${p.inputsPerSecond.toFixed(1)} images/s · ${p.workers} worker(s)`;
    if (plain) {
      if (Date.now() - lastLine >= 15_000) {
        lastLine = Date.now();
        process.stderr.write(`${label}: ${p.inputsDone}/${p.inputs} images, ${detail}\n`);
      }
      return;
    }
    bar ??= startProgress(label, p.inputs, !opts.json);
    bar.update(p.inputsDone, detail);
  };
  const onReport = (r: RunReport) => {
    if (opts.queueReport) writeFilesAtomically([{ path: opts.queueReport, content: JSON.stringify(r, null, 2) + '\n' }]);
    if (!opts.json) {
      bar?.stop();
      bar = undefined;
      const dup = r.computations.filter((c) => !c.counted).length;
      process.stderr.write(`queue run ${r.runId}: ${r.shards} shards (${r.reused} re-used), ${r.computations.length} computations by ${r.workersSeen.length} worker(s)${dup ? `, ${dup} duplicate(s) not counted` : ''}, ${r.seconds.toFixed(1)} s\n`);
    }
  };
  return { url: opts.queue, runId: opts.runId, shardSize: opts.shardSize, dataRoot: opts.dataRoot, onProgress, onReport, stop: () => bar?.stop() };
}
