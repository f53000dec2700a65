/** Content hashes of the files a shard reads: workers compare them with the coordinator's before computing. */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fail } from '../diag/index.ts';

const cache = new Map<string, { stamp: string; sha256: string }>();

/** sha256 of a file, hex; cached per path while its size and modification time stay the same. */
export function sha256File(file: string): string {
  let stamp: string;
  try {
    const s = statSync(file);
    stamp = `${s.size}:${s.mtimeMs}:${s.ino}`;
  } catch (e) {
    fail('IO_ERROR', `cannot read: ${(e as Error).message}`, file);
  }
  const hit = cache.get(file);
  if (hit?.stamp === stamp) return hit.sha256;
  const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
  cache.set(file, { stamp, sha256 });
  return sha256;
}

export interface FolderManifest {
  /** sha256 over the sorted `path\tsha256` lines: equal folders, equal digests. */
  digest: string;
  files: { path: string; sha256: string }[];
}

/** Every regular file under `dir` (recursively, `/`-separated relative paths, sorted) with its hash. */
export function folderManifest(dir: string): FolderManifest {
  const files: { path: string; sha256: string }[] = [];
  const walk = (d: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch (e) {
      fail('IO_ERROR', `cannot list folder: ${(e as Error).message}`, d);
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() || (e.isSymbolicLink() && statSync(p).isFile())) files.push({ path: relative(dir, p).split(sep).join('/'), sha256: sha256File(p) });
    }
  };
  walk(dir);
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const digest = createHash('sha256').update(files.map((f) => `${f.path}\t${f.sha256}\n`).join('')).digest('hex');
  return { digest, files };
}

const recentManifests = new Map<string, { at: number; manifest: FolderManifest }>();

/**
 * `folderManifest(dir)`, re-walked at most every `maxAgeMs`: a weights folder holds about a thousand files, and
 * stat-ing them all for every shard was most of a worker's per-shard cost (10 ms of a 0.5 s shard).
 */
export function recentFolderManifest(dir: string, maxAgeMs: number): FolderManifest {
  const hit = recentManifests.get(dir);
  if (hit && Date.now() - hit.at < maxAgeMs) return hit.manifest;
  const manifest = folderManifest(dir);
  recentManifests.set(dir, { at: Date.now(), manifest });
  return manifest;
}

/** Files present in one manifest and absent or different in the other, for a refusal message. */
export function manifestDifferences(expected: FolderManifest['files'], actual: FolderManifest['files']): string[] {
  const mine = new Map(actual.map((f) => [f.path, f.sha256]));
  const theirs = new Set(expected.map((f) => f.path));
  const out: string[] = [];
  for (const f of expected) {
    const h = mine.get(f.path);
    if (h === undefined) out.push(`${f.path} is missing`);
    else if (h !== f.sha256) out.push(`${f.path} has sha256 ${h.slice(0, 12)}…, the run expects ${f.sha256.slice(0, 12)}…`);
  }
  for (const f of actual) if (!theirs.has(f.path)) out.push(`${f.path} is not in the coordinator's copy`);
  return out;
}
