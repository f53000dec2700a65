import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fail, isVitpipeError } from './error.ts';
import { deferSignals } from './signals.ts';

/**
 * Write an output folder all-or-nothing: `fill` writes into a fresh staging folder beside `dir`, which replaces `dir`
 * only once complete. An existing `dir` is replaced only when `replaceable(dir)` says it is one of ours (e.g. it has
 * our manifest) or it is empty; any other folder is refused untouched. On failure nothing is left behind and an
 * existing folder is kept. `what` names the output in messages.
 */
export function writeFolderAtomically(dir: string, what: string, replaceable: (dir: string) => boolean, fill: (staging: string) => void): void {
  deferSignals(() => writeFolder(dir, what, replaceable, fill));
}

function writeFolder(dir: string, what: string, replaceable: (dir: string) => boolean, fill: (staging: string) => void): void {
  const target = resolve(dir);
  if (existsSync(target)) {
    if (!statSync(target).isDirectory()) fail('IO_ERROR', 'exists and is not a folder', dir);
    if (readdirSync(target).length > 0 && !replaceable(target))
      fail('IO_ERROR', `folder exists, is not empty and is not a ${what}; refusing to overwrite it`, dir);
  }
  const parent = dirname(target);
  const staging = join(parent, `.${basename(target)}.${process.pid}.tmp`);
  const old = join(parent, `.${basename(target)}.${process.pid}.old`);
  let created: string | undefined;
  try {
    created = mkdirSync(parent, { recursive: true });
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging);
    fill(staging);
    if (existsSync(target)) renameSync(target, old);
    renameSync(staging, target);
    rmSync(old, { recursive: true, force: true });
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    if (existsSync(old) && !existsSync(target)) renameSync(old, target);
    if (created) rmSync(created, { recursive: true, force: true });
    if (isVitpipeError(e)) throw e;
    fail('IO_ERROR', `cannot write the ${what}: ${(e as Error).message}`, dir);
  }
}
