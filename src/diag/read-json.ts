import { fail, type DiagnosticCode } from './error.ts';
import { readInputText } from './read-file.ts';

/** JSON inputs (designs, models, devices, settings, hardware types) are small; a larger file is refused unread. */
export const MAX_JSON_BYTES = 64 * 2 ** 20;

/** Read and parse a JSON input file; failures become a diagnostic with `code` naming the file and what it holds. */
export function readJsonFile(file: string, code: DiagnosticCode, what: string): unknown {
  const text = readInputText(file, { code, what, maxBytes: MAX_JSON_BYTES });
  try {
    return JSON.parse(text);
  } catch (e) {
    fail(code, `cannot read ${what}: ${(e as Error).message}`, file);
  }
}
