import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { fail, isVitpipeError, type DiagnosticCode } from './error.ts';

/** What a failed file-system call means for the user, in words (ENOENT, ELOOP, … are not a message). */
export function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT': return 'no such file or folder';
    case 'ELOOP': return 'is a symbolic-link loop (or links nested too deep)';
    case 'EISDIR': return 'is a folder, not a file';
    case 'ENOTDIR': return 'a part of the path is a file, not a folder';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'ENAMETOOLONG': return 'the path is too long';
    default: return err.message ?? String(e);
  }
}

export interface ReadLimits {
  /** Code for a failure to read or an oversized file. */
  code: DiagnosticCode;
  /** Code and message when the file does not exist (default: `code`, "cannot read …: no such file or folder"). */
  missingCode?: DiagnosticCode;
  missingMessage?: string;
  /** What the file holds, for messages ("design file"). */
  what: string;
  /** Largest accepted size: checked from the file's size before anything is read, so a huge file costs no memory. */
  maxBytes: number;
}

/** Read a whole input file as text (UTF-8 or Latin-1), refusing folders, link loops and files above `maxBytes`. */
export function readInputText(file: string, limits: ReadLimits, encoding: 'utf8' | 'latin1' = 'utf8'): string {
  return readInputBytes(file, limits).toString(encoding);
}

/** Read a whole input file as bytes, refusing folders, link loops and files above `maxBytes`. */
export function readInputBytes(file: string, limits: ReadLimits): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      fail(limits.missingCode ?? limits.code, limits.missingMessage ?? `cannot read ${limits.what}: ${describeFsError(e)}`, file);
    fail(limits.code, `cannot read ${limits.what}: ${describeFsError(e)}`, file);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) fail(limits.code, `cannot read ${limits.what}: is a folder, not a file`, file);
    if (st.size > limits.maxBytes)
      fail(limits.code, `${limits.what} is ${formatBytes(st.size)}; at most ${formatBytes(limits.maxBytes)} is accepted`, file);
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } catch (e) {
    if (isVitpipeError(e)) throw e;
    fail(limits.code, `cannot read ${limits.what}: ${describeFsError(e)}`, file);
  } finally {
    closeSync(fd);
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 2 ** 20) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 2 ** 30) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${(n / 2 ** 30).toFixed(2)} GiB`;
}

/** A value from a user's file shown in a message: whole when short, otherwise cut with its length (never silently). */
export function showValue(s: string, max = 40): string {
  const quote = (t: string) => (/^[\x20-\x26\x28-\x7e]*$/.test(t) ? `'${t}'` : JSON.stringify(t));
  return s.length <= max ? quote(s) : `${quote(s.slice(0, max))}… (${s.length} characters)`;
}
