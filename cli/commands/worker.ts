import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { parseQueueUrl, startWorker } from '../../src/scale/index.ts';
import { positiveInt } from '../print.ts';
import { LIMITS } from '../limits.ts';

interface WorkerOptions {
  queue: string;
  threads?: number;
  dataRoot?: string;
}

export function register(program: Command): void {
  program
    .command('worker')
    .description('take shards of `--queue` runs (infer, audit, prune-sweep) from Redis and compute them, until stopped (Ctrl-C / SIGTERM)')
    .requiredOption('--queue <url>', 'the Redis the coordinators use: redis://[user:password@]host:port (rediss:// for TLS)')
    .option('--threads <n>', 'worker threads, i.e. shards computed at once (default: all cores)', positiveInt('--threads', LIMITS.threads))
    .option('--data-root <dir>', "where this machine keeps the coordinator's data root (default: the same path as on the coordinator)")
    .action(async (opts: WorkerOptions) => {
      const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
      const worker = await startWorker({ target: parseQueueUrl(opts.queue), threads: opts.threads ?? availableParallelism(), dataRoot: opts.dataRoot, log });
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          log(`${signal}: finishing the shards in hand, then stopping (again to stop at once)`);
          process.once(signal, () => process.exit(130));
          void worker.close().then(resolve, resolve);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      log(`worker ${worker.id} stopped`);
    });
}
