// @ts-check
/**
 * Cached esbuild bundles of the project's TypeScript, so that the CLI and worker threads start from plain ES modules
 * instead of sending a few hundred modules through tsx's loader (about 0.8 s of every CLI start, 0.5–1 s of CPU per
 * worker thread). Plain JavaScript: the CLI's launcher (bin/vitpipe.js) uses it before any TypeScript can load.
 *
 * A bundle lives in node_modules/.cache/vitpipe/<name>-<content hash>/, named by <name>.json together with its
 * sources (path, size, modification time); it is rebuilt whenever one of them changed, so there is no build step to
 * forget. Writes are atomic (temporary folder, then rename), so processes starting at the same time never see half a
 * bundle. `import.meta.url`, `.dirname` and `.filename` in every source are replaced by that source's own location:
 * code that finds files beside itself (worker modules, C++ runtime files, package.json) works the same bundled.
 * Packages stay external (sharp is native), resolved from node_modules as usual. Any failure gives undefined: callers
 * then load the TypeScript through tsx as before.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUNDLE_CACHE = join(ROOT, 'node_modules', '.cache', 'vitpipe');

/** @typedef {[file: string, size: number, mtimeMs: number]} SourceStamp */
/** @typedef {{ dir: string, entry: string, sources: SourceStamp[] }} BundleRecord */

/** @param {string} file @returns {SourceStamp} */
function stamp(file) {
  const s = statSync(file);
  return [file, s.size, s.mtimeMs];
}

/** @param {SourceStamp[]} sources */
function unchanged(sources) {
  return sources.every(([file, size, mtime]) => {
    try {
      const [, s, m] = stamp(file);
      return s === size && m === mtime;
    } catch {
      return false;
    }
  });
}

/** Replaces import.meta's location fields by the source file's own (see above). @type {import('esbuild').Plugin} */
const sourceLocation = {
  name: 'vitpipe-source-location',
  setup(build) {
    build.onLoad({ filter: /\.(ts|mts|mjs|js)$/ }, (args) => {
      if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
      /** @type {Record<string, string>} */
      const where = { url: pathToFileURL(args.path).href, dirname: dirname(args.path), filename: args.path };
      const contents = readFileSync(args.path, 'utf8').replace(/\bimport\.meta\.(url|dirname|filename)\b/g, (_, k) => JSON.stringify(where[k]));
      return { contents, loader: /\.m?ts$/.test(args.path) ? 'ts' : 'js' };
    });
  },
};

/**
 * The record of bundle `name` when it is there and none of its sources changed.
 * @param {string} name @returns {BundleRecord | undefined}
 */
export function freshBundle(name) {
  try {
    /** @type {BundleRecord} */
    const record = JSON.parse(readFileSync(join(BUNDLE_CACHE, `${name}.json`), 'utf8'));
    return existsSync(join(BUNDLE_CACHE, record.dir, record.entry)) && unchanged(record.sources) ? record : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The bundled form of the TypeScript module `entry` (absolute path) under the cache name `name`, built or rebuilt
 * when needed: the absolute path of the bundle's entry module, or undefined when it cannot be built. `splitting`
 * keeps dynamic imports as separate chunks loaded on demand (the CLI loads one command's code per run).
 * @param {string} entry @param {string} name @param {{ splitting?: boolean }} [options]
 * @returns {Promise<string | undefined>}
 */
export async function cachedBundle(entry, name, options = {}) {
  const found = freshBundle(name);
  if (found) return join(BUNDLE_CACHE, found.dir, found.entry);
  const tmp = join(BUNDLE_CACHE, `.${name}.${process.pid}.tmp`);
  try {
    mkdirSync(BUNDLE_CACHE, { recursive: true });
    /** @type {typeof import('esbuild')} */
    const esbuild = createRequire(import.meta.url)('esbuild');
    const started = Date.now();
    const r = await esbuild.build({
      entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', target: 'node20', packages: 'external',
      splitting: options.splitting ?? false, outdir: tmp, entryNames: 'entry', chunkNames: 'chunk-[hash]',
      outExtension: { '.js': '.mjs' }, absWorkingDir: ROOT, metafile: true, write: false, logLevel: 'silent', plugins: [sourceLocation],
    });
    // Named by content: processes racing to build the same sources write the same folder, and the first rename wins.
    const hash = createHash('sha1');
    for (const f of r.outputFiles) hash.update(f.path.slice(tmp.length)).update(f.contents);
    const dir = `${name}-${hash.digest('hex').slice(0, 16)}`;
    if (!existsSync(join(BUNDLE_CACHE, dir))) {
      for (const f of r.outputFiles) {
        mkdirSync(dirname(f.path), { recursive: true });
        writeFileSync(f.path, f.contents);
      }
      try {
        renameSync(tmp, join(BUNDLE_CACHE, dir));
      } catch (e) {
        if (!existsSync(join(BUNDLE_CACHE, dir))) throw e;
      }
    }
    /** @type {BundleRecord} */
    const record = { dir, entry: 'entry.mjs', sources: Object.keys(r.metafile.inputs).map((p) => stamp(resolve(ROOT, p))) };
    // A source saved while esbuild read it may be in the bundle in its old form: then the bundle is used this once
    // but not recorded, so the next start builds again.
    if (record.sources.every(([, , mtime]) => mtime < started)) writeAtomically(join(BUNDLE_CACHE, `${name}.json`), JSON.stringify(record));
    return join(BUNDLE_CACHE, dir, record.entry);
  } catch {
    return undefined;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** @param {string} file @param {string | Uint8Array} data */
function writeAtomically(file, data) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/** The cache name of a worker task module's bundle. @param {string} entry */
export const taskBundleName = (entry) => `task-${createHash('sha1').update(entry).digest('hex').slice(0, 16)}`;
