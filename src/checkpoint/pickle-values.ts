/** How unpickled Python values look in JS, and the handler interface through which allow-listed globals build them. */

export class PyDict {
  readonly map = new Map<unknown, unknown>();
  /** What BUILD set (OrderedDict's `_metadata`); kept, never interpreted. */
  state?: unknown;
}

export class PySet {
  readonly items = new Set<unknown>();
  constructor(readonly frozen: boolean) {}
}

/** A global that passed the allow-list; only its handler can ever be called. */
export class PyGlobal {
  constructor(
    readonly name: string,
    readonly handler: GlobalHandler,
  ) {}
}

export interface GlobalHandler {
  /** REDUCE (`f(*args)`), NEWOBJ (`cls.__new__(cls, *args)`), INST, OBJ. Absent: the global is only a value. */
  call?(args: readonly unknown[]): unknown;
  /** BUILD on a value `call` returned; returns the built value. Absent: BUILD on its values is refused. */
  build?(obj: unknown, state: unknown): unknown;
}

/** Tuples are frozen arrays, lists plain ones: both index like Python sequences, and only lists can be appended to. */
export const isTuple = (v: unknown): v is readonly unknown[] => Array.isArray(v) && Object.isFrozen(v);
export const isList = (v: unknown): v is unknown[] => Array.isArray(v) && !Object.isFrozen(v);

/** The Python type name a value came from, for diagnostics (a global's own name). */
export function pyTypeName(v: unknown): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return isTuple(v) ? 'tuple' : 'list';
  if (v instanceof PyDict) return 'dict';
  if (v instanceof PySet) return v.frozen ? 'frozenset' : 'set';
  if (v instanceof PyGlobal) return v.name;
  // Handlers' own values (torch tensors, storages) may say what they stand for.
  if (typeof v === 'object' && 'pyType' in v && typeof v.pyType === 'string') return v.pyType;
  return 'object';
}

/** 'a str', 'an int': the type name with its article, for messages. */
export function aPyType(v: unknown): string {
  const name = pyTypeName(v);
  return `${/^[aeiouAEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
}
