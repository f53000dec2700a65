/**
 * The Redis a coordinator and its workers share, named by one URL:
 *   redis://[user:password@]host:port[/db]    rediss://… for TLS
 * with optional TLS settings as query parameters: tls-ca, tls-cert, tls-key (PEM files), tls-servername,
 * tls-reject-unauthorized=false. The password is never printed (`display` hides it).
 */
import { readFileSync } from 'node:fs';
import type { RedisOptions as BullRedisOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { fail } from '../diag/index.ts';

export interface QueueTarget {
  /** The URL with the password replaced by `***`, for messages. */
  display: string;
  options: RedisOptions;
}

/** How long to wait for Redis before reporting it unreachable. */
const CONNECT_TIMEOUT_MS = 3000;
const TLS_PARAMS = ['tls-ca', 'tls-cert', 'tls-key', 'tls-servername', 'tls-reject-unauthorized'];

export function parseQueueUrl(text: string): QueueTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    fail('BAD_ARGUMENT', `'${text}' is not a URL; expected redis://[user:password@]host:port`, '--queue');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    fail('BAD_ARGUMENT', `'${url.protocol}' is not a Redis URL scheme; expected redis:// or rediss://`, '--queue');
  const shown = new URL(url.href);
  if (shown.password) shown.password = '***';
  const display = shown.href.replace(/\/$/, '');
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0 || db > 15) fail('BAD_ARGUMENT', `database '${url.pathname.slice(1)}' in ${display}; expected 0 … 15`, '--queue');
  for (const key of url.searchParams.keys())
    if (!TLS_PARAMS.includes(key)) fail('BAD_ARGUMENT', `unknown parameter '${key}' in ${display}; expected one of ${TLS_PARAMS.join(', ')}`, '--queue');
  const options: RedisOptions = {
    host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: url.port ? Number(url.port) : 6379,
    db,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  };
  if (url.protocol === 'rediss:' || [...url.searchParams.keys()].length > 0) {
    const pem = (key: string) => {
      const file = url.searchParams.get(key);
      if (file === null) return undefined;
      try {
        return readFileSync(file);
      } catch (e) {
        fail('IO_ERROR', `cannot read ${key} file: ${(e as Error).message}`, file);
      }
    };
    if (url.protocol !== 'rediss:') fail('BAD_ARGUMENT', `TLS parameters need the rediss:// scheme in ${display}`, '--queue');
    options.tls = {
      ca: pem('tls-ca'),
      cert: pem('tls-cert'),
      key: pem('tls-key'),
      servername: url.searchParams.get('tls-servername') ?? undefined,
      rejectUnauthorized: url.searchParams.get('tls-reject-unauthorized') !== 'false',
    };
  }
  return { display, options };
}

/**
 * Connect and ping within a few seconds, or fail naming the URL: a command given an unreachable or misconfigured
 * Redis must say so at once rather than wait for it. The returned client reconnects on its own afterwards (a Redis
 * restart mid-run is waited out).
 */
export async function openRedis(target: QueueTarget, name: string): Promise<Redis> {
  const probe = new Redis({
    ...target.options,
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableReadyCheck: false, // so that a missing password comes back as NOAUTH from the ping, not as a closed connection
    retryStrategy: () => null,
  });
  let cause: Error | undefined; // the server's own answer (e.g. NOAUTH), where connect() only says the connection closed
  probe.on('error', (e: Error) => (cause ??= e));
  try {
    await probe.connect();
    await probe.ping();
  } catch (e) {
    probe.disconnect();
    const msg = (cause ?? (e as Error)).message;
    const auth = /NOAUTH|WRONGPASS|invalid password|AUTH/i.test(msg);
    fail('QUEUE_UNREACHABLE', `cannot use Redis at ${target.display}: ${msg}`, '--queue', auth ? 'check the user and password in the URL' : 'is redis-server running there, and reachable from this machine?');
  }
  await probe.quit();
  const client = new Redis({ ...target.options, connectionName: name, maxRetriesPerRequest: null });
  client.on('error', () => {}); // ioredis retries by itself; commands wait for the reconnection
  return client;
}

/** The same server for BullMQ's own connections. */
export function bullConnection(target: QueueTarget): BullRedisOptions {
  const { host, port, db, username, password, tls } = target.options;
  return { host, port, db, username, password, tls };
}
