import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { z } from 'zod';
import { fail, MAX_JSON_BYTES, readInputText } from '../diag/index.ts';
import type { ProjectFile } from './project.ts';

/**
 * `generate` owns only the files it wrote. It records them, with their hashes, in a manifest inside the project; a
 * later `generate` into the same folder may replace those (when unchanged) and removes the ones no longer generated,
 * but never deletes or rewrites any other file. Build products of the project's own Makefile and Tcl (`build/`,
 * `hls/`, top-level `*.log`) belong to neither and are left alone.
 */
export const PROJECT_MANIFEST = 'vitpipe-generated.json';
const PRODUCT_FOLDERS = new Set(['build', 'hls']);
const isProduct = (path: string) => PRODUCT_FOLDERS.has(path.split('/')[0]) || (!path.includes('/') && path.endsWith('.log'));

const ManifestSchema = z.object({
  generator: z.literal('vitpipe generate'),
  design: z.string(),
  files: z.array(z.object({ path: z.string(), sha256: z.string() })),
});
type Manifest = z.infer<typeof ManifestSchema>;

const sha256 = (content: string | Buffer) => createHash('sha256').update(content).digest('hex');

/** What writing a project into a folder will do, decided before anything is written. */
export interface ProjectWrite {
  /** Files to write, the manifest last. */
  files: ProjectFile[];
  /** Files an earlier `generate` wrote, unchanged since and not generated now: removed after the write. */
  stale: string[];
  /** Files an earlier `generate` wrote that were edited since: replaced only with `force` (listed), else refused. */
  edited: string[];
  /** Files vitpipe did not write, kept untouched (only with `force`). */
  foreign: string[];
}

function filesUnder(dir: string, root = dir): string[] {
  const out: string[] = [];
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, d.name);
    const rel = relative(root, path).split(sep).join('/');
    if (isProduct(rel)) continue;
    if (d.isDirectory()) out.push(...filesUnder(path, root));
    else out.push(rel);
  }
  return out;
}

function readManifest(dir: string): Manifest | undefined {
  const file = join(dir, PROJECT_MANIFEST);
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readInputText(file, { code: 'IO_ERROR', what: 'project manifest', maxBytes: MAX_JSON_BYTES }));
  } catch {
    raw = undefined;
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) fail('IO_ERROR', `${PROJECT_MANIFEST} is damaged, so which files vitpipe wrote is unknown; refusing to write into this folder`, file, 'generate into a new folder');
  return parsed.data;
}

/**
 * Decide how to write `files` into `dir`. Refuses (IO_ERROR, naming files) a folder holding files vitpipe did not
 * write unless `force`, and even with `force` any such file the project would overwrite; refuses edited generated
 * files unless `force`. Call once before generating (files = undefined: the folder check alone) and again with the
 * generated files.
 */
export function planProjectWrite(dir: string, design: string, force: boolean, files?: readonly ProjectFile[]): ProjectWrite {
  const none: ProjectWrite = { files: [], stale: [], edited: [], foreign: [] };
  const withManifest = (w: ProjectWrite): ProjectWrite => files
    ? { ...w, files: [...files, { path: PROJECT_MANIFEST, content: JSON.stringify({ generator: 'vitpipe generate', design, files: files.map((f) => ({ path: f.path, sha256: sha256(f.content) })) } satisfies Manifest, null, 1) + '\n' }] }
    : w;
  if (!existsSync(dir)) return withManifest(none);
  if (!statSync(dir).isDirectory()) fail('IO_ERROR', 'exists and is not a folder', dir);
  const manifest = readManifest(dir);
  const recorded = new Map((manifest?.files ?? []).map((f) => [f.path, f.sha256]));
  const generated = new Set((files ?? []).map((f) => f.path));
  const w: ProjectWrite = { ...none };
  for (const path of filesUnder(dir)) {
    if (path === PROJECT_MANIFEST) continue;
    const hash = recorded.get(path);
    if (hash === undefined) w.foreign.push(path);
    else if (hash !== sha256(readFileSync(join(dir, path)))) w.edited.push(path);
    else if (files && !generated.has(path)) w.stale.push(path);
  }
  const list = (xs: string[]) => xs.slice(0, 5).join(', ') + (xs.length > 5 ? `, … (${xs.length} in all)` : '');
  if (w.foreign.length > 0 && !force)
    fail('IO_ERROR', `folder holds ${w.foreign.length} file(s) vitpipe did not write (${list(w.foreign)}); refusing to write into it`, dir,
      'generate into an empty or new folder, or add --force to write beside them (files vitpipe did not write are never changed)');
  const clobbered = w.foreign.filter((p) => generated.has(p));
  if (clobbered.length > 0)
    fail('IO_ERROR', `the project would overwrite ${clobbered.length} file(s) vitpipe did not write (${list(clobbered)}); refusing even with --force`, dir, 'move those files away or generate into another folder');
  if (w.edited.length > 0 && !force)
    fail('IO_ERROR', `${w.edited.length} generated file(s) were edited since vitpipe wrote them (${list(w.edited)}); refusing to replace them`, dir, 'add --force to replace them, or generate into another folder');
  return withManifest(w);
}
