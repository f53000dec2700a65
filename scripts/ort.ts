/**
 * onnxruntime-node on demand. It is not a dependency of vitpipe (≈290 MB unpacked): tests and scripts that want to
 * run an exported ONNX model load it from `<repo>/.cache/onnxruntime/node_modules` (git-ignored), installing it there
 * with npm first when asked to. Any failure (offline, unsupported platform, native library that will not load) comes
 * back as `{ unavailable: why }` so callers can skip instead of failing.
 *
 *   node --import tsx scripts/ort.ts     install if needed and print the version found (or why it is unavailable)
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The onnxruntime-node release installed on demand. */
export const ORT_VERSION = '1.30.0';
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const ORT_PREFIX = join(REPO_ROOT, '.cache', 'onnxruntime');

/** The slice of onnxruntime-node's API vitpipe uses (typed here so the package need not be installed to type-check). */
export interface OrtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array | Int32Array | Uint8Array | string[] | unknown;
}
export interface OrtInferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
export interface OrtSessionOptions {
  executionProviders?: string[];
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}
export interface OnnxRuntime {
  InferenceSession: { create(model: Uint8Array | string, options?: OrtSessionOptions): Promise<OrtInferenceSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  env?: { versions?: { common?: string; node?: string } };
}
export interface OrtUnavailable {
  unavailable: string;
}

const packageJson = (prefix: string) => join(prefix, 'node_modules', 'onnxruntime-node', 'package.json');

function installedVersion(prefix: string): string | undefined {
  try {
    return String(JSON.parse(readFileSync(packageJson(prefix), 'utf8')).version);
  } catch {
    return undefined;
  }
}

function load(prefix: string): OnnxRuntime | OrtUnavailable {
  try {
    const mod = createRequire(join(prefix, 'package.json'))('onnxruntime-node') as Partial<OnnxRuntime>;
    if (typeof mod?.InferenceSession?.create !== 'function' || typeof mod.Tensor !== 'function')
      return { unavailable: `onnxruntime-node in ${prefix} does not export InferenceSession/Tensor` };
    return mod as OnnxRuntime;
  } catch (e) {
    return { unavailable: `onnxruntime-node in ${prefix} does not load: ${(e as Error).message.split('\n')[0]}` };
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ ok: boolean; why: string }> {
  return new Promise((resolve) => {
    let out = '';
    let child;
    try {
      child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
    } catch (e) {
      resolve({ ok: false, why: (e as Error).message });
      return;
    }
    const keep = (d: Buffer) => {
      out = (out + d.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, why: e.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const lines = out.trim().split('\n').map((l) => l.trim()).filter(Boolean);
      const errors = lines.filter((l) => /^npm (error|ERR!) (code|errno|syscall|network|notarget|[A-Z]|\d{3})/.test(l));
      const tail = (errors.length ? errors.slice(0, 4) : lines.slice(-4)).join(' | ');
      resolve(code === 0 ? { ok: true, why: '' } : { ok: false, why: `${signal ? `killed by ${signal}` : `exit ${code}`}: ${tail}` });
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Run `body` holding a directory lock under `prefix` (several test processes may ask to install at once). */
async function withLock<T>(prefix: string, staleMs: number, body: () => Promise<T>): Promise<T> {
  const lock = join(prefix, '.install-lock');
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - statSync(lock).mtimeMs > staleMs) rmSync(lock, { recursive: true, force: true });
      } catch {
        /* gone meanwhile */
      }
      await sleep(250);
    }
  }
  try {
    return await body();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

async function install(prefix: string, timeoutMs: number): Promise<OrtUnavailable | undefined> {
  mkdirSync(prefix, { recursive: true });
  return withLock(prefix, timeoutMs + 60_000, async () => {
    if (installedVersion(prefix) === ORT_VERSION) return undefined; // another process installed it meanwhile
    const pkg = join(prefix, 'package.json');
    if (!existsSync(pkg))
      writeFileSync(pkg, JSON.stringify({ name: 'vitpipe-onnxruntime-cache', private: true, description: 'onnxruntime-node for vitpipe tests (not a dependency)' }, null, 2) + '\n');
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const args = ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--no-package-lock', `onnxruntime-node@${ORT_VERSION}`];
    // ONNXRUNTIME_NODE_INSTALL=skip: the package's postinstall would otherwise try to download GPU providers.
    const res = await run(npm, args, { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' }, timeoutMs);
    if (!res.ok) return { unavailable: `npm install onnxruntime-node@${ORT_VERSION} failed (${res.why})` };
    if (installedVersion(prefix) !== ORT_VERSION) return { unavailable: `npm install finished but onnxruntime-node@${ORT_VERSION} is not in ${prefix}` };
    return undefined;
  });
}

/**
 * onnxruntime-node from `<repo>/.cache/onnxruntime`, or why it cannot be had. With `install`, a missing (or other
 * version of the) package is installed there first with npm. Never throws.
 */
export async function loadOnnxRuntime(opts: { install?: boolean; timeoutMs?: number } = {}): Promise<OnnxRuntime | OrtUnavailable> {
  const prefix = ORT_PREFIX;
  try {
    const found = installedVersion(prefix);
    if (found === undefined || (found !== ORT_VERSION && opts.install)) {
      if (!opts.install)
        return { unavailable: `onnxruntime-node is not installed in ${prefix} (run: node --import tsx scripts/ort.ts)` };
      const failed = await install(prefix, opts.timeoutMs ?? 5 * 60_000);
      if (failed) return failed;
    }
    return load(prefix);
  } catch (e) {
    return { unavailable: `onnxruntime-node: ${(e as Error).message}` };
  }
}

export function isOrtUnavailable(x: OnnxRuntime | OrtUnavailable): x is OrtUnavailable {
  return 'unavailable' in x;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const ort = await loadOnnxRuntime({ install: true });
  if (isOrtUnavailable(ort)) {
    console.error(ort.unavailable);
    process.exitCode = 1;
  } else {
    console.log(`onnxruntime-node ${installedVersion(ORT_PREFIX)} in ${ORT_PREFIX}`);
  }
}
