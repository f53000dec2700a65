import { readFileSync } from 'node:fs';
import { fail, type DiagnosticCode } from './index.ts';

/** Read and parse a JSON input file; failures become a diagnostic with `code` naming the file and what it holds. */
export function readJsonFile(file: string, code: DiagnosticCode, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    fail(code, `cannot read ${what}: ${(e as Error).message}`, file);
  }
}
