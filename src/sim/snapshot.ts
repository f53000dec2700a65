/**
 * Whole-simulation snapshots, so that a memoised run (memo.ts) can roll back to where a replay began when that
 * replay diverges, instead of starting over. Everything mutable is plain data: numbers, booleans, typed arrays and
 * arrays of them, held by the scheduler, the FIFOs, the processes and their start controllers. Typed arrays are
 * restored in place (other objects hold references to them); other values are replaced by copies.
 */

type Fields = Map<string, unknown>;

/** Large arrays that never change after elaboration. */
const STATIC = new Set(['masks', 'maskB', 'psB', 'pipeOf', 'startOf', 'classOf', 'listOf', 'isLoop', 'procs', 'fifos', 'memo', 'sim', 'loop', 'body', 'info']);

function isPlainArray(v: unknown[]): boolean {
  return v.every((x) => x === null || typeof x !== 'object' || ArrayBuffer.isView(x) || (Array.isArray(x) && isPlainArray(x)));
}

function copy(v: unknown): unknown {
  if (ArrayBuffer.isView(v)) return (v as Int32Array).slice();
  if (Array.isArray(v)) return v.map(copy);
  return v;
}

/** Field names per class (instances of a class have the same own fields), found once. */
const keysOf = new Map<unknown, string[]>();

/** The mutable plain-data fields of an object (typed arrays already captured through another object are skipped). */
function capture(o: object, taken: Set<unknown>, skip: ReadonlySet<string>): Fields {
  const f: Fields = new Map();
  let keys = keysOf.get(o.constructor);
  if (!keys) keysOf.set(o.constructor, (keys = Object.keys(o).filter((k) => !STATIC.has(k))));
  const t = o as Record<string, unknown>;
  for (const k of keys) {
    const v = t[k];
    if (skip.has(k) || taken.has(v)) continue;
    if (v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') f.set(k, v);
    else if (ArrayBuffer.isView(v)) {
      taken.add(v);
      f.set(k, copy(v));
    }
    else if (Array.isArray(v) && isPlainArray(v)) f.set(k, copy(v));
  }
  return f;
}

function apply(o: object, f: Fields): void {
  const t = o as Record<string, unknown>;
  for (const [k, v] of f) {
    const cur = t[k];
    if (ArrayBuffer.isView(v) && ArrayBuffer.isView(cur) && (cur as Int32Array).length === (v as Int32Array).length) (cur as Int32Array).set(v as Int32Array);
    else if (Array.isArray(v) && Array.isArray(cur) && v.length === cur.length && v.every((x) => ArrayBuffer.isView(x)))
      v.forEach((x, i) => (cur[i] as Int32Array).set(x as Int32Array));
    else t[k] = copy(v);
  }
}

export interface Snapshot {
  restore(): void;
}

/** Snapshot of the objects given (the scheduler, its FIFOs, every process and start controller, …), but for fields named in `skip`. */
export function snapshot(objects: object[], skip: ReadonlySet<string> = new Set()): Snapshot {
  const taken = new Set<unknown>();
  const saved = objects.map((o) => [o, capture(o, taken, skip)] as const);
  return {
    restore() {
      for (const [o, f] of saved) apply(o, f);
    },
  };
}
