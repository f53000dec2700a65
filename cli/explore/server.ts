import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fail, isVitpipeError } from '../../src/diag/index.ts';
import { cropToPatches, decodeRgbBytes, resizeAndCrop } from '../../src/image/index.ts';
import { MODEL_ZOO, shapeOf } from '../../src/model/index.ts';
import { checkGeneratable, generateProject } from '../../src/codegen/index.ts';
import { parseDesign } from '../../src/ir/index.ts';
import { loadHardwareTypes } from '../../src/refs/index.ts';
import { DIST } from './build.ts';
import { zipFiles } from './zip.ts';
import type { WeightsInfo } from './weights.ts';

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json', '.txt': 'text/plain; charset=latin1', '.wasm': 'application/wasm' };
/** Largest photo the decode endpoint accepts (bytes). */
const MAX_PHOTO = 64 * 1024 * 1024;
const REFS_NAME = /^[A-Za-z0-9_.-]+\.txt$/;

export interface ExploreServer {
  server: Server;
  url: string;
}

/**
 * The explorer's loopback server: the built page, the weights folder read-only (refs files by plain name only), and
 * one endpoint that decodes a photo with the CLI's own front end and returns its input patches. All the rest runs
 * in the page.
 */
export async function startServer(opts: { host: string; port: number; weights: WeightsInfo | null; version: string }): Promise<ExploreServer> {
  const server = createServer((req, res) => {
    handle(req, res, opts).catch((e) => sendError(res, e));
  });
  await new Promise<void>((ok, ko) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') ko(wrap(() => fail('IO_ERROR', `port ${opts.port} on ${opts.host} is already in use`, '--port', 'choose another port with --port N (--port 0 picks a free one)')));
      else if (e.code === 'EACCES') ko(wrap(() => fail('IO_ERROR', `not allowed to listen on port ${opts.port}`, '--port', 'ports below 1024 need privileges; choose another with --port N')));
      // An address this machine does not have or cannot resolve is the user's --host, not a bug.
      else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN' || e.code === 'EAFNOSUPPORT' || e.code === 'EINVAL')
        ko(wrap(() => fail('BAD_ARGUMENT', `cannot listen on '${opts.host}': ${e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN' ? 'no such host' : 'not an address of this machine'}`, '--host', 'give an address of this machine, e.g. 127.0.0.1 (the default) or 0.0.0.0 for every interface')));
      else ko(e);
    });
    server.listen(opts.port, opts.host, () => ok());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return { server, url: `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}/` };
}

/** A percent-encoded name, or the text as it came when its encoding is broken (it then matches nothing served). */
function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const wrap = (f: () => never): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
};

async function handle(req: IncomingMessage, res: ServerResponse, opts: { weights: WeightsInfo | null; version: string }): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = safeDecode(url.pathname);
  if (req.method === 'GET' && path === '/api/info') {
    const w = opts.weights;
    return send(res, 200, 'application/json', JSON.stringify({ version: opts.version, models: w?.model ? [w.model] : [], weights: w && { path: w.path, kind: w.kind, files: w.files, types: w.typesFile !== null, error: w.error } }));
  }
  if (req.method === 'POST' && path === '/api/hls') return hls(req, res, opts.weights);
  if (req.method === 'POST' && path === '/api/decode') return decode(req, res, safeDecode(String(req.headers['x-file-name'] ?? 'photo')));
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed');
  if (path.startsWith('/weights/')) {
    const name = path.slice('/weights/'.length);
    const w = opts.weights;
    // Only the files loading reads, by plain name: nothing else of the disk is reachable.
    if (!w || w.error || !REFS_NAME.test(name) || !w.files.includes(name.slice(0, -4))) return send(res, 404, 'text/plain', 'not found');
    return sendFile(res, join(w.path, name));
  }
  if (path === '/weights-types.json') {
    if (!opts.weights?.typesFile) return send(res, 404, 'text/plain', 'not found');
    return sendFile(res, opts.weights.typesFile);
  }
  const file = resolve(DIST, '.' + (path.endsWith('/') ? path + 'index.html' : path));
  if (!file.startsWith(DIST + sep)) return send(res, 404, 'text/plain', 'not found');
  return sendFile(res, file);
}

async function sendFile(res: ServerResponse, file: string): Promise<void> {
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    return send(res, 404, 'text/plain', 'not found');
  }
  send(res, 200, TYPES[extname(file)] ?? 'application/octet-stream', body);
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

function sendError(res: ServerResponse, e: unknown): void {
  const error = isVitpipeError(e) ? e.diagnostic : { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
  if (!res.headersSent) send(res, isVitpipeError(e) ? 400 : 500, 'application/json', JSON.stringify({ error }));
  else res.end();
}

async function body(req: IncomingMessage, name: string, max: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > max) fail(what === 'design' ? 'BAD_DESIGN' : 'BAD_IMAGE', `larger than ${max / 1024 / 1024} MiB`, name);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * A design.json → its HLS C++ project as a zip, by the CLI's own generator (`vitpipe generate`): it needs the refs
 * folder for the weights and the testbenches' tensors, so it runs here rather than in the page.
 */
async function hls(req: IncomingMessage, res: ServerResponse, w: WeightsInfo | null): Promise<void> {
  const text = (await body(req, 'design.json', 64 * 1024 * 1024, 'design')).toString('utf8');
  if (!w || w.error || !w.typesFile) fail('BAD_ARGUMENT', 'the HLS project needs HG-PIPE\'s refs folder and its hardware-types.json', '--weights', 'start the explorer with --weights <refs folder>');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    fail('BAD_DESIGN', `not JSON: ${(e as Error).message}`, 'design.json');
  }
  const design = parseDesign(raw, 'design.json');
  checkGeneratable(design, 'design.json');
  const project = generateProject({ design, weightsDir: w.path, types: loadHardwareTypes(w.typesFile) });
  res.writeHead(200, { 'content-type': 'application/zip', 'cache-control': 'no-store' });
  res.end(zipFiles(project.files.map((f) => ({ path: `${design.name}/${f.path}`, content: f.content }))));
}

/** A photo's bytes → [u32 header length][header JSON][int32 LE patch matrix][crop RGB], by the CLI's own front end. */
async function decode(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
  const bytes = await body(req, name, MAX_PHOTO, 'photo');
  if (bytes.length === 0) fail('BAD_IMAGE', 'empty file', name, 'expected a JPEG or PNG file');
  const cfg = MODEL_ZOO['hgpipe-deit-tiny'];
  const crop = resizeAndCrop(await decodeRgbBytes(bytes, name), cfg.imageSize);
  const patches = cropToPatches(crop, cfg);
  const head = Buffer.from(JSON.stringify({ tokens: cfg.tokens, patchElements: shapeOf(cfg).patchElements, size: crop.width }));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(head.length);
  send(res, 200, 'application/octet-stream', Buffer.concat([len, head, Buffer.from(patches.buffer, patches.byteOffset, patches.byteLength), Buffer.from(crop.data.buffer, crop.data.byteOffset, crop.data.length)]));
}
