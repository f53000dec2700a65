import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readInputBytes } from '../diag/index.ts';
import { describeShape, parseRefsBytes, parseRefsText, toInt32 } from './parse.ts';
import type { RefsSource } from './source.ts';

/** Refs-format files read from disk (the parsing itself, shared with the explorer page, is in parse.ts). */
export { parseRefsText, formatRefs } from './parse.ts';

/** Read `<dir>/<name>.txt` as numbers. */
export function readRefs(dir: string, name: string, shape: readonly number[]): Float64Array {
  return readRefsFile(join(dir, `${name}.txt`), shape);
}

const elements = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** A refs file's bytes, its size bounded by its shape. */
function readBytes(file: string, shape: readonly number[]): Buffer {
  // a safe integer is at most 17 characters; with its comma and some spacing 24 per element is generous
  const maxBytes = 24 * elements(shape) + 4096;
  return readInputBytes(file, { code: 'BAD_REF_FILE', missingCode: 'MISSING_REF_FILE', missingMessage: `missing; expected ${describeShape(shape)}`, what: `refs file of ${describeShape(shape)}`, maxBytes });
}

/** Read one refs-format file as numbers. */
export function readRefsFile(file: string, shape: readonly number[]): Float64Array {
  const bytes = readBytes(file, shape);
  return parseRefsBytes(bytes, new Float64Array(elements(shape)), 15) ?? parseRefsText(bytes.toString('latin1'), file, shape);
}

/** Read a refs file whose values fit int32 (activations, 3/8-bit weights, tables). */
export function readRefsInt32(dir: string, name: string, shape: readonly number[]): Int32Array {
  return readRefsFileInt32(join(dir, `${name}.txt`), shape);
}

/** Read one refs-format file whose values fit int32. */
export function readRefsFileInt32(file: string, shape: readonly number[]): Int32Array {
  const bytes = readBytes(file, shape);
  return parseRefsBytes(bytes, new Int32Array(elements(shape)), 9) ?? toInt32(parseRefsText(bytes.toString('latin1'), file, shape), file);
}

/** A refs folder on disk as a RefsSource (`<dir>/<name>.txt`), read exactly as readRefsFile reads. */
export function diskRefs(dir: string): RefsSource {
  const path = (name: string) => join(dir, `${name}.txt`);
  return {
    where: path,
    has: (name) => existsSync(path(name)),
    text: (name, shape) => readBytes(path(name), shape).toString('latin1'),
    bytes: (name, shape) => readBytes(path(name), shape),
  };
}
