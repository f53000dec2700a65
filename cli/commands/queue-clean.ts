import type { Command } from 'commander';
import { fail } from '../../src/diag/index.ts';
import { listRuns, openQueue, openRedis, parseQueueUrl, removeRun } from '../../src/scale/index.ts';
import { printJson } from '../print.ts';

interface QueueCleanOptions {
  queue: string;
  runId?: string[];
  finished?: boolean;
  all?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('queue-clean')
    .description('remove runs from the Redis of `--queue` now (finished runs expire by themselves after 24 h, unfinished ones 7 days after their coordinator last ran)')
    .requiredOption('--queue <url>', 'redis://[user:password@]host:port')
    .option('--run-id <ids...>', 'the runs to remove')
    .option('--finished', 'every finished run')
    .option('--all', 'every run, finished or not (their queued shards too)')
    .option('--json', 'print one JSON document')
    .action(async (opts: QueueCleanOptions) => {
      if (!opts.runId && !opts.finished && !opts.all) fail('BAD_ARGUMENT', 'say which runs: --run-id <ids…>, --finished or --all');
      const target = parseQueueUrl(opts.queue);
      const redis = await openRedis(target, 'vitpipe-queue-clean');
      const queue = openQueue(target);
      try {
        const known = await listRuns(redis);
        const ids = opts.all ? known.map((r) => r.runId) : [...(opts.runId ?? []), ...(opts.finished ? known.filter((r) => r.finished).map((r) => r.runId) : [])];
        const removed = [];
        for (const runId of new Set(ids)) {
          if (!known.some((r) => r.runId === runId)) fail('BAD_ARGUMENT', `no run '${runId}' in ${target.display}`, '--run-id');
          removed.push({ runId, ...(await removeRun(redis, queue, runId)) });
        }
        if (opts.json) printJson({ removed });
        else process.stdout.write(removed.length ? removed.map((r) => `removed run ${r.runId} (${r.shards} shards, ${r.jobsRemoved} queued jobs)`).join('\n') + '\n' : 'no runs to remove\n');
      } finally {
        await queue.close();
        redis.disconnect();
      }
    });
}
