import { spawn } from 'node:child_process';
import { InvalidArgumentError, type Command } from 'commander';
import { nonNegativeInt } from '../print.ts';
import { buildExplorer, staleReason } from '../explore/build.ts';
import { startServer } from '../explore/server.ts';
import { inspectWeights } from '../explore/weights.ts';

interface ExploreOptions {
  port: number;
  host: string;
  weights?: string;
  open?: boolean;
  build: boolean;
}

export function register(program: Command): void {
  program
    .command('explore')
    .description('serve the interactive explorer (plan, simulate, classify in the browser) on localhost')
    .option('--port <n>', 'port to listen on (0: any free port)', nonNegativeInt('--port', 65535), 4173)
    .option('--host <address>', 'address to listen on', (v: string) => {
      // An empty address would listen on every interface: that must be asked for (0.0.0.0 or ::), not fallen into.
      if (v.trim() === '' || v !== v.trim()) throw new InvalidArgumentError(`--host must be an address such as 127.0.0.1 or 0.0.0.0, got '${v}'`);
      return v;
    }, '127.0.0.1')
    .option('--weights <refs folder>', 'HG-PIPE refs folder for the Classify view (served read-only)')
    .option('--open', 'open the page in the default browser')
    .option('--no-build', 'serve the existing build even when it is stale')
    .action(async (opts: ExploreOptions) => {
      const reason = staleReason();
      if (reason && (opts.build || reason === 'no build yet')) {
        process.stderr.write(`building the explorer page (${reason})…\n`);
        const secs = await buildExplorer();
        process.stderr.write(`built in ${secs.toFixed(1)} s\n`);
      }
      const weights = opts.weights ? inspectWeights(opts.weights) : null;
      if (weights?.error) process.stderr.write(`weights: ${weights.error}\n(the Classify view will say so; Plan and Simulate work)\n`);
      const { server, url } = await startServer({ host: opts.host, port: opts.port, weights, version: '0.1.0' });
      process.stdout.write(`vitpipe explorer at ${url}  (Ctrl+C to stop)\n`);
      if (opts.open) openInBrowser(url);
      const stop = () => server.close(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}

function openInBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => process.stderr.write(`could not open a browser (${cmd}); open ${url} yourself\n`));
  child.unref();
}
