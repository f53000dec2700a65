import { fail } from '../diag/index.ts';
import { parseRefsBytes, parseRefsText, toInt32 } from './parse.ts';

/**
 * Where refs-format files come from, by name (without `.txt`): a folder on disk for the CLI (disk.ts), files fetched
 * over HTTP for the explorer page. Loading code reads through this so the same parser and checks serve both.
 */
export interface RefsSource {
  /** The file's name as errors show it (a path on disk, a URL in the page). */
  where(name: string): string;
  has(name: string): boolean;
  /** The file's text (`shape`: what the caller expects, which bounds the size read); undefined when it is absent. */
  text(name: string, shape: readonly number[]): string | undefined;
  /** The file's bytes, when the source has them without decoding (disk): parsed without building strings. */
  bytes?(name: string, shape: readonly number[]): Uint8Array | undefined;
}

/** A source over texts already in memory (e.g. fetched by the explorer page); `folder` names them in errors. */
export function refsFromTexts(texts: ReadonlyMap<string, string>, folder: string): RefsSource {
  return {
    where: (name) => `${folder}/${name}.txt`,
    has: (name) => texts.has(name),
    text: (name) => texts.get(name),
  };
}

/** One file of a source as numbers, `shape` being what the caller expects. */
export function refsValues(src: RefsSource, name: string, shape: readonly number[]): Float64Array {
  const bytes = src.bytes?.(name, shape);
  const fast = bytes && parseRefsBytes(bytes, new Float64Array(shape.reduce((a, b) => a * b, 1)), 15);
  if (fast) return fast;
  const text = src.text(name, shape);
  if (text === undefined) fail('MISSING_REF_FILE', `missing; expected [${shape.join('][')}] integers`, src.where(name));
  return parseRefsText(text, src.where(name), shape);
}

/** One file of a source whose values fit int32. */
export function refsInt32(src: RefsSource, name: string, shape: readonly number[]): Int32Array {
  const bytes = src.bytes?.(name, shape);
  const fast = bytes && parseRefsBytes(bytes, new Int32Array(shape.reduce((a, b) => a * b, 1)), 9);
  if (fast) return fast;
  return toInt32(refsValues(src, name, shape), src.where(name));
}

/** A source that records every name asked of another (the explorer's server lists the files loading needs). */
export function recordingSource(src: RefsSource): { source: RefsSource; names: Set<string> } {
  const names = new Set<string>();
  return {
    names,
    source: { where: (n) => src.where(n), has: (n) => (src.has(n) ? (names.add(n), true) : false), text: (n, shape) => (names.add(n), src.text(n, shape)) },
  };
}
