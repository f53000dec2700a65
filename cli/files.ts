import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { deferSignals, describeFsError, fail } from '../src/diag/index.ts';

/**
 * Write a set of files all-or-nothing: every file goes to a temporary name first; only when all were written are
 * they renamed into place, each existing file set aside until every rename succeeded. A failure leaves no partial
 * output, no temporary and no folder it created, and every existing file as it was. Ctrl-C waits until the files
 * are whole (deferSignals).
 */
export function writeFilesAtomically(files: ReadonlyArray<{ path: string; content: string }>): void {
  if (files.length === 0) return;
  deferSignals(() => writeAll(files));
}

function writeAll(files: ReadonlyArray<{ path: string; content: string }>): void {
  const created: string[] = [];
  const temps: string[] = [];
  const setAside: Array<{ path: string; backup: string }> = [];
  const placed: string[] = [];
  let current = files[0].path;
  try {
    for (const f of files) {
      current = f.path;
      const made = mkdirSync(dirname(f.path), { recursive: true });
      if (made) created.push(made);
      const tmp = join(dirname(f.path), `.${process.pid}.tmp-${temps.length}`);
      writeFileSync(tmp, f.content);
      temps.push(tmp);
    }
    files.forEach((f, i) => {
      current = f.path;
      if (existsSync(f.path)) {
        if (statSync(f.path).isDirectory()) throw Object.assign(new Error('is a folder'), { code: 'EISDIR' });
        const backup = `${temps[i]}.old`;
        renameSync(f.path, backup);
        setAside.push({ path: f.path, backup });
      }
      renameSync(temps[i], f.path);
      placed.push(f.path);
    });
  } catch (e) {
    for (const p of placed) rmSync(p, { force: true });
    for (const { path, backup } of setAside) renameSync(backup, path);
    for (const t of temps) rmSync(t, { force: true });
    for (const d of created.reverse()) rmSync(d, { recursive: true, force: true });
    fail('IO_ERROR', `cannot write output: ${describeFsError(e)}; nothing was written`, current);
  }
  for (const { backup } of setAside) rmSync(backup, { force: true });
}

export type OutputKind = 'file' | 'folder';

/**
 * Check before any work that an output can be written: a file output is not an existing folder, a folder output is
 * not an existing file, and the nearest existing folder on the way up accepts a new file (probed by creating and
 * removing one, which also catches read-only mounts where permission bits say yes). Missing folders are not created
 * here; the write creates them.
 */
export function checkOutputPath(path: string, flag: string, kind: OutputKind): void {
  const target = resolve(path);
  if (existsSync(target)) {
    const isDir = statSync(target).isDirectory();
    if (kind === 'file' && isDir) fail('IO_ERROR', `${path} is a folder; give a file name`, flag);
    if (kind === 'folder' && !isDir) fail('IO_ERROR', `${path} is a file; give a folder`, flag);
  }
  let dir = kind === 'folder' && existsSync(target) ? target : dirname(target);
  while (!existsSync(dir)) {
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  if (!statSync(dir).isDirectory()) fail('IO_ERROR', `cannot write ${path}: ${dir} is a file, not a folder`, flag);
  const probe = join(dir, `.vitpipe-probe-${process.pid}`);
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
  } catch (e) {
    fail('IO_ERROR', `cannot write ${path}: folder ${dir}: ${describeFsError(e)}`, flag, 'choose another output path');
  }
}

/**
 * The outputs each command writes, by option name: checked by `checkCommandOutputs` before the command starts.
 * Options not listed are inputs. A new command with an output adds its option here.
 */
const OUTPUT_OPTIONS: Record<string, OutputKind> = {
  out: 'file',
  saveDesign: 'file',
  timeline: 'file',
  pareto: 'file',
  svg: 'file',
  dump: 'folder',
  queueReport: 'file',
};
const FOLDER_OUT_COMMANDS = new Set(['generate', 'import', 'quantize']);

export function checkCommandOutputs(command: string, options: Record<string, unknown>): void {
  for (const [key, kind] of Object.entries(OUTPUT_OPTIONS)) {
    const value = options[key];
    if (typeof value !== 'string') continue;
    const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    checkOutputPath(value, flag, key === 'out' && FOLDER_OUT_COMMANDS.has(command) ? 'folder' : kind);
  }
}
