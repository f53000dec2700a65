import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fail } from '../src/diag/index.ts';

/**
 * Write a set of files all-or-nothing: every file goes to a temporary name first and is renamed into place only when
 * all were written, so a failure leaves no partial output and never clobbers an existing file with half a result.
 */
export function writeFilesAtomically(files: ReadonlyArray<{ path: string; content: string }>): void {
  const temps: string[] = [];
  try {
    for (const f of files) {
      mkdirSync(dirname(f.path), { recursive: true });
      const tmp = join(dirname(f.path), `.${process.pid}.tmp-${temps.length}`);
      writeFileSync(tmp, f.content);
      temps.push(tmp);
    }
  } catch (e) {
    for (const t of temps) rmSync(t, { force: true });
    fail('IO_ERROR', `cannot write output: ${(e as Error).message}`, files[temps.length]?.path);
  }
  files.forEach((f, i) => renameSync(temps[i], f.path));
}
