/**
 * A private redis-server for tests and benchmarks: a free loopback port, a temporary folder, no persistence unless
 * asked (append-only file for the restart checks); never the system service.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HAVE_REDIS = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
export const SKIP_NO_REDIS = HAVE_REDIS ? false : 'needs redis-server on the PATH (Debian: apt-get install redis-server; .ci/run installs it); skipped';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  port: number;
  url: string;
  /** Stop (SIGTERM, then wait for the exit). */
  stop(): Promise<void>;
  /** Stop and start again on the same port and folder (with persistence, the data survives). */
  restart(): Promise<void>;
}

export async function startRedisServer(opts: { persist?: boolean; password?: string; tls?: { cert: string; key: string } } = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'vitpipe-redis-'));
  const listen = opts.tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', opts.tls.cert, '--tls-key-file', opts.tls.key, '--tls-ca-cert-file', opts.tls.cert, '--tls-auth-clients', 'no']
    : ['--port', String(port)];
  const args = [...listen, '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', opts.persist ? 'yes' : 'no', ...(opts.persist ? ['--appendfsync', 'always'] : []), ...(opts.password ? ['--requirepass', opts.password] : [])];
  let child: ChildProcess;
  const launch = () =>
    new Promise<void>((resolve, reject) => {
      child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/Ready to accept connections/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${out}`));
      });
    });
  const halt = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.removeAllListeners('exit');
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  await launch();
  return {
    port,
    url: `${opts.tls ? 'rediss' : 'redis'}://${opts.password ? `:${opts.password}@` : ''}127.0.0.1:${port}`,
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      await halt();
      await launch();
    },
  };
}
