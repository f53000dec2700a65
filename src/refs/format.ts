import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readInputText } from '../diag/index.ts';
import { describeShape, parseRefsText, toInt32 } from './parse.ts';
import type { RefsSource } from './source.ts';

/** Refs-format files read from disk (the parsing itself, shared with the explorer page, is in parse.ts). */
export { parseRefsText, formatRefs } from './parse.ts';

/** Read `<dir>/<name>.txt` as numbers. */
export function readRefs(dir: string, name: string, shape: readonly number[]): Float64Array {
  return readRefsFile(join(dir, `${name}.txt`), shape);
}

/** A refs file's text, its size bounded by its shape. */
function readRefsText(file: string, shape: readonly number[]): string {
  // a safe integer is at most 17 characters; with its comma and some spacing 24 per element is generous
  const maxBytes = 24 * shape.reduce((a, b) => a * b, 1) + 4096;
  return readInputText(file, { code: 'BAD_REF_FILE', missingCode: 'MISSING_REF_FILE', missingMessage: `missing; expected ${describeShape(shape)}`, what: `refs file of ${describeShape(shape)}`, maxBytes }, 'latin1');
}

/** Read one refs-format file as numbers. */
export function readRefsFile(file: string, shape: readonly number[]): Float64Array {
  return parseRefsText(readRefsText(file, shape), file, shape);
}

/** Read a refs file whose values fit int32 (activations, 3/8-bit weights, tables). */
export function readRefsInt32(dir: string, name: string, shape: readonly number[]): Int32Array {
  return toInt32(readRefs(dir, name, shape), join(dir, `${name}.txt`));
}

/** Read one refs-format file whose values fit int32. */
export function readRefsFileInt32(file: string, shape: readonly number[]): Int32Array {
  return toInt32(readRefsFile(file, shape), file);
}

/** A refs folder on disk as a RefsSource (`<dir>/<name>.txt`), read exactly as readRefsFile reads. */
export function diskRefs(dir: string): RefsSource {
  return {
    where: (name) => join(dir, `${name}.txt`),
    has: (name) => existsSync(join(dir, `${name}.txt`)),
    text: (name, shape) => readRefsText(join(dir, `${name}.txt`), shape),
  };
}
