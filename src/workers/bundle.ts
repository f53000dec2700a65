/**
 * Worker threads start from one bundled ES module instead of loading dozens of TypeScript modules through tsx's
 * loader (which runs a hooks thread per worker: about 0.5–1 s of CPU per thread before the first task). The bundle of
 * a task module's graph is built with esbuild (the transpiler tsx itself runs on) into node_modules/.cache/vitpipe/,
 * and rebuilt whenever one of its source files changed (size or modification time). Packages stay external (sharp is
 * native), resolved from node_modules as usual. Any failure gives undefined: the worker then loads the TypeScript
 * module through tsx as before. Only for task modules that do not use import.meta at load time (it would name the
 * bundle).
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE = join(ROOT, 'node_modules', '.cache', 'vitpipe');

/** [absolute path, size, mtime] of every source file in a bundle. */
type Inputs = Array<[string, number, number]>;

function stamp(file: string): [string, number, number] {
  const s = statSync(file);
  return [file, s.size, s.mtimeMs];
}

function isFresh(bundle: string, manifest: string): boolean {
  if (!existsSync(bundle) || !existsSync(manifest)) return false;
  const inputs = JSON.parse(readFileSync(manifest, 'utf8')) as Inputs;
  return inputs.every(([file, size, mtime]) => {
    if (!existsSync(file)) return false;
    const [, s, m] = stamp(file);
    return s === size && m === mtime;
  });
}

function writeAtomically(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

const built = new Map<string, URL | undefined>();

/** The bundled form of a TypeScript task module (built or refreshed if needed), or undefined. */
export function bundledTask(taskModule: URL): URL | undefined {
  if (built.has(taskModule.href)) return built.get(taskModule.href);
  let url: URL | undefined;
  try {
    const entry = fileURLToPath(taskModule);
    const name = createHash('sha1').update(entry).digest('hex').slice(0, 16);
    const bundle = join(CACHE, `task-${name}.mjs`);
    const manifest = `${bundle}.json`;
    if (!isFresh(bundle, manifest)) {
      mkdirSync(CACHE, { recursive: true });
      // Loaded only to build (workers that import this module never do).
      const { buildSync } = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
      const r = buildSync({
        entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', target: 'node20', packages: 'external',
        absWorkingDir: ROOT, metafile: true, write: false, logLevel: 'silent',
      });
      const inputs: Inputs = Object.keys(r.metafile.inputs).map((p) => stamp(resolve(ROOT, p)));
      writeAtomically(bundle, r.outputFiles[0].contents);
      writeAtomically(manifest, JSON.stringify(inputs));
    }
    url = pathToFileURL(bundle);
  } catch {
    url = undefined;
  }
  built.set(taskModule.href, url);
  return url;
}
