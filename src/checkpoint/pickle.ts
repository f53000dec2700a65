/**
 * A restricted unpickler (protocols 0–5) that executes nothing. Python's pickle is a program: GLOBAL/STACK_GLOBAL
 * import any callable and REDUCE calls it, which is how a checkpoint runs `os.system`. Here globals resolve only
 * against the caller's allow-list of handlers (JS functions that build plain data); any other name is refused when
 * the opcode that names it is read, before anything could use it. Values map to JS as: None → null, bool → boolean,
 * int → number (bigint beyond 2^53), float → number, str → string, bytes → Uint8Array, list → array, tuple → frozen
 * array, dict → PyDict, set → PySet. Work and memory are linear in the input, and capped.
 */
import { fail, isVitpipeError, showValue } from '../diag/index.ts';
import { plainBytes } from './file-bytes.ts';
import { decodeLong, decodeStr, latin1, parseIntText, rawUnicodeUnescape, unescapeBytes, utf8 } from './pickle-text.ts';
import { PyDict, PyGlobal, PySet, aPyType, isList, isTuple, pyTypeName, type GlobalHandler } from './pickle-values.ts';

export { PyDict, PyGlobal, PySet, aPyType, isTuple, pyTypeName, type GlobalHandler } from './pickle-values.ts';

export interface UnpickleOptions {
  /** Named in every diagnostic. */
  file: string;
  /** 'module.name' → handler; nothing else can be resolved. */
  globals: ReadonlyMap<string, GlobalHandler>;
  /** How the refusal message summarises the allow-list (default: its names). */
  allowedSummary?: string;
  /** Attached to the refusal diagnostic (what the user can do instead). */
  refusalHint?: string;
  /** BINPERSID/PERSID: resolve a persistent id (torch: a storage reference). Absent: persistent ids are an error. */
  persistentLoad?(pid: unknown): unknown;
}

/** Hostile input must not exhaust memory: no legitimate checkpoint pickle comes near these. */
const LIMITS = { memo: 1 << 22, stack: 1 << 22, container: 1 << 24, intBytes: 4096 };

/** Python 3's fix_imports: protocol-2 pickles name Python 2 modules. */
const MODULE_ALIASES = new Map([['__builtin__', 'builtins'], ['copy_reg', 'copyreg']]);

/** Unpickle `bytes`; returns the object STOP leaves. Throws BAD_CHECKPOINT or UNSAFE_CHECKPOINT, naming `file`. */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): unknown {
  const m = new Machine(plainBytes(bytes), options);
  try {
    return m.run();
  } catch (e) {
    if (isVitpipeError(e)) throw e;
    return fail('BAD_CHECKPOINT', `malformed pickle at byte ${m.opStart}: ${(e as Error).message}`, options.file);
  }
}

class Machine {
  private pos = 0;
  opStart = 0;
  private readonly stack: unknown[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, unknown>();
  /** Which handler made a value, so BUILD can only reach that handler. */
  private readonly madeBy = new WeakMap<object, GlobalHandler>();
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly o: UnpickleOptions,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  bad(what: string): never {
    return fail('BAD_CHECKPOINT', `malformed pickle at byte ${this.opStart}: ${what}`, this.o.file);
  }

  // ---- input ----
  private need(n: number): number {
    if (n < 0 || this.pos + n > this.bytes.length) fail('BAD_CHECKPOINT', `truncated pickle at byte ${this.bytes.length} (opcode at byte ${this.opStart} needs ${n} more bytes)`, this.o.file);
    const p = this.pos;
    this.pos += n;
    return p;
  }
  take(n: number): Uint8Array {
    const p = this.need(n);
    return this.bytes.subarray(p, p + n);
  }
  u8 = (): number => this.view.getUint8(this.need(1));
  u16 = (): number => this.view.getUint16(this.need(2), true);
  u32 = (): number => this.view.getUint32(this.need(4), true);
  i32 = (): number => this.view.getInt32(this.need(4), true);
  f64be = (): number => this.view.getFloat64(this.need(8), false);
  u64(): number {
    const v = this.view.getBigUint64(this.need(8), true);
    if (v > BigInt(this.bytes.length)) fail('BAD_CHECKPOINT', `truncated pickle at byte ${this.bytes.length} (opcode at byte ${this.opStart} needs ${v} more bytes)`, this.o.file);
    return Number(v);
  }
  line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) fail('BAD_CHECKPOINT', `truncated pickle at byte ${this.bytes.length} (opcode at byte ${this.opStart} has no end of line)`, this.o.file);
    const s = latin1.decode(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }
  intLine(): number | bigint {
    const s = this.line();
    return parseIntText(s.endsWith('L') ? s.slice(0, -1) : s) ?? this.bad(`${showValue(s)} is not an integer`);
  }

  // ---- stack ----
  push(v: unknown): void {
    if (this.stack.length >= LIMITS.stack) this.bad(`stack deeper than ${LIMITS.stack}`);
    this.stack.push(v);
  }
  /** Like Python's metastack: items below the innermost MARK are out of reach until it is popped. */
  private reachable(): boolean {
    return this.stack.length > (this.marks.at(-1) ?? 0);
  }
  pop(): unknown {
    if (!this.reachable()) this.bad('stack underflow');
    return this.stack.pop();
  }
  top(): unknown {
    if (!this.reachable()) this.bad('stack underflow');
    return this.stack[this.stack.length - 1];
  }
  popMark(): unknown[] {
    const mark = this.marks.pop();
    if (mark === undefined) this.bad('no MARK to pop to');
    return this.stack.splice(mark);
  }
  grow(size: number): void {
    if (size > LIMITS.container) this.bad(`container larger than ${LIMITS.container} items`);
  }
  memoPut(key: number | bigint): void {
    if (typeof key !== 'number' || key < 0) this.bad(`bad memo key ${key}`);
    if (!this.memo.has(key) && this.memo.size >= LIMITS.memo) this.bad(`more than ${LIMITS.memo} memo entries`);
    this.memo.set(key, this.top());
  }
  memoGet(key: number | bigint): void {
    if (typeof key !== 'number' || !this.memo.has(key)) this.bad(`memo key ${key} was never stored`);
    this.push(this.memo.get(key));
  }
  dictOf(): PyDict {
    const d = this.top();
    return d instanceof PyDict ? d : this.bad(`SETITEM on ${aPyType(d)}, not a dict`);
  }
  setItems(d: PyDict, kv: unknown[]): void {
    if (kv.length % 2) this.bad('odd number of items for a dict');
    this.grow(d.map.size + kv.length / 2);
    for (let i = 0; i < kv.length; i += 2) {
      const k = kv[i];
      if (isList(k) || k instanceof PyDict || (k instanceof PySet && !k.frozen)) this.bad(`unhashable dict key of type ${pyTypeName(k)}`);
      d.map.set(k, kv[i + 1]);
    }
  }
  addItems(s: PySet, items: unknown[]): void {
    this.grow(s.items.size + items.length);
    for (const v of items) s.items.add(v);
  }

  // ---- globals: the only way to code, and every name is checked here ----
  resolve(module: string, name: string): PyGlobal {
    const full = `${MODULE_ALIASES.get(module) ?? module}.${name}`;
    const handler = this.o.globals.get(full);
    if (!handler) {
      const allowed = this.o.allowedSummary ?? [...this.o.globals.keys()].join(', ');
      // A hostile name can be anything: show it escaped and short.
      const shown = JSON.stringify(full.length > 100 ? `${full.slice(0, 100)}…` : full).slice(1, -1);
      fail('UNSAFE_CHECKPOINT', `refuses global '${shown}' (only ${allowed} are allowed); nothing was executed`, this.o.file, this.o.refusalHint);
    }
    return new PyGlobal(full, handler);
  }
  call(callable: unknown, args: unknown, op: string): unknown {
    if (!(callable instanceof PyGlobal) || !callable.handler.call) return this.bad(`${op} on ${aPyType(callable)}, which is not callable here`);
    if (!isTuple(args)) return this.bad(`${op} arguments are ${aPyType(args)}, not a tuple`);
    const v = callable.handler.call(args);
    if (typeof v === 'object' && v !== null) this.madeBy.set(v, callable.handler);
    return v;
  }

  run(): unknown {
    const b = this.bytes;
    while (this.pos < b.length) {
      this.opStart = this.pos;
      const op = b[this.pos++];
      switch (op) {
        case 0x80: { const v = this.u8(); if (v > 5) this.bad(`unsupported pickle protocol ${v}`); break; } // PROTO
        case 0x95: this.u64(); break; // FRAME: framing is only a read-ahead hint
        case 0x2e: return this.pop(); // STOP
        case 0x28: this.grow(this.marks.push(this.stack.length)); break; // MARK
        case 0x30: if (this.reachable() || this.marks.length === 0) this.pop(); else this.popMark(); break; // POP
        case 0x31: this.popMark(); break; // POP_MARK
        case 0x32: this.push(this.top()); break; // DUP
        case 0x4e: this.push(null); break; // NONE
        case 0x88: this.push(true); break; // NEWTRUE
        case 0x89: this.push(false); break; // NEWFALSE
        case 0x49: { // INT (protocol 0 booleans are 00 / 01)
          const s = this.line();
          this.push(s === '01' ? true : s === '00' ? false : (parseIntText(s) ?? this.bad(`${showValue(s)} is not an integer`)));
          break;
        }
        case 0x4a: this.push(this.i32()); break; // BININT
        case 0x4b: this.push(this.u8()); break; // BININT1
        case 0x4d: this.push(this.u16()); break; // BININT2
        case 0x4c: this.push(this.intLine()); break; // LONG
        case 0x8a: this.push(decodeLong(this.take(this.u8()))); break; // LONG1
        case 0x8b: { // LONG4
          const n = this.i32();
          if (n < 0 || n > LIMITS.intBytes) this.bad(`LONG4 of ${n} bytes`);
          this.push(decodeLong(this.take(n)));
          break;
        }
        case 0x46: { // FLOAT
          const s = this.line();
          if (!/^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|nan)$/i.test(s)) this.bad(`${showValue(s)} is not a float`);
          this.push(/inf/i.test(s) ? (s.startsWith('-') ? -Infinity : Infinity) : /nan/i.test(s) ? NaN : Number(s));
          break;
        }
        case 0x47: this.push(this.f64be()); break; // BINFLOAT (big-endian)
        case 0x53: { // STRING: a quoted Python repr
          const s = this.line();
          if (s.length < 2 || s[0] !== s[s.length - 1] || (s[0] !== "'" && s[0] !== '"')) this.bad('STRING is not quoted');
          this.push(decodeStr(unescapeBytes(s.slice(1, -1))));
          break;
        }
        case 0x54: { const n = this.i32(); if (n < 0) this.bad('negative BINSTRING length'); this.push(decodeStr(this.take(n))); break; } // BINSTRING
        case 0x55: this.push(decodeStr(this.take(this.u8()))); break; // SHORT_BINSTRING
        case 0x56: this.push(rawUnicodeUnescape(this.line())); break; // UNICODE
        case 0x58: this.push(utf8.decode(this.take(this.u32()))); break; // BINUNICODE
        case 0x8c: this.push(utf8.decode(this.take(this.u8()))); break; // SHORT_BINUNICODE
        case 0x8d: this.push(utf8.decode(this.take(this.u64()))); break; // BINUNICODE8
        case 0x42: this.push(this.take(this.u32()).slice()); break; // BINBYTES
        case 0x43: this.push(this.take(this.u8()).slice()); break; // SHORT_BINBYTES
        case 0x8e: // BINBYTES8
        case 0x96: this.push(this.take(this.u64()).slice()); break; // BYTEARRAY8
        case 0x97: this.bad('NEXT_BUFFER needs out-of-band buffers, which a file cannot carry');
        case 0x98: break; // READONLY_BUFFER
        case 0x29: this.push(Object.freeze([])); break; // EMPTY_TUPLE
        case 0x74: this.push(Object.freeze(this.popMark())); break; // TUPLE
        case 0x85: this.push(Object.freeze([this.pop()])); break; // TUPLE1
        case 0x86: { const y = this.pop(), x = this.pop(); this.push(Object.freeze([x, y])); break; } // TUPLE2
        case 0x87: { const z = this.pop(), y = this.pop(), x = this.pop(); this.push(Object.freeze([x, y, z])); break; } // TUPLE3
        case 0x5d: this.push([]); break; // EMPTY_LIST
        case 0x6c: this.push(this.popMark()); break; // LIST
        case 0x61: // APPEND
        case 0x65: { // APPENDS
          const items = op === 0x61 ? [this.pop()] : this.popMark();
          const list = this.top();
          if (!isList(list)) this.bad(`APPEND to ${aPyType(list)}, not a list`);
          this.grow(list.length + items.length);
          for (const v of items) list.push(v);
          break;
        }
        case 0x7d: this.push(new PyDict()); break; // EMPTY_DICT
        case 0x64: { const d = new PyDict(); this.setItems(d, this.popMark()); this.push(d); break; } // DICT
        case 0x73: { const v = this.pop(), k = this.pop(); this.setItems(this.dictOf(), [k, v]); break; } // SETITEM
        case 0x75: { const kv = this.popMark(); this.setItems(this.dictOf(), kv); break; } // SETITEMS
        case 0x8f: this.push(new PySet(false)); break; // EMPTY_SET
        case 0x90: { // ADDITEMS
          const items = this.popMark();
          const s = this.top();
          if (!(s instanceof PySet) || s.frozen) this.bad(`ADDITEMS to ${aPyType(s)}, not a set`);
          this.addItems(s, items);
          break;
        }
        case 0x91: { const s = new PySet(true); this.addItems(s, this.popMark()); this.push(s); break; } // FROZENSET
        case 0x67: this.memoGet(this.intLine()); break; // GET
        case 0x68: this.memoGet(this.u8()); break; // BINGET
        case 0x6a: this.memoGet(this.u32()); break; // LONG_BINGET
        case 0x70: this.memoPut(this.intLine()); break; // PUT
        case 0x71: this.memoPut(this.u8()); break; // BINPUT
        case 0x72: this.memoPut(this.u32()); break; // LONG_BINPUT
        case 0x94: this.memoPut(this.memo.size); break; // MEMOIZE
        case 0x63: { const module = this.line(); this.push(this.resolve(module, this.line())); break; } // GLOBAL
        case 0x93: { // STACK_GLOBAL
          const name = this.pop(), module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') this.bad('STACK_GLOBAL operands are not strings');
          this.push(this.resolve(module, name));
          break;
        }
        case 0x69: { // INST: GLOBAL + call with the marked items
          const g = this.resolve(this.line(), this.line());
          this.push(this.call(g, Object.freeze(this.popMark()), 'INST'));
          break;
        }
        case 0x6f: { // OBJ: class then arguments, all after the mark
          const [cls, ...args] = this.popMark();
          this.push(this.call(cls, Object.freeze(args), 'OBJ'));
          break;
        }
        case 0x52: { const args = this.pop(); this.push(this.call(this.pop(), args, 'REDUCE')); break; } // REDUCE
        case 0x81: { const args = this.pop(); this.push(this.call(this.pop(), args, 'NEWOBJ')); break; } // NEWOBJ
        case 0x92: { // NEWOBJ_EX
          const kwargs = this.pop(), args = this.pop(), cls = this.pop();
          if (!(kwargs instanceof PyDict) || kwargs.map.size > 0) this.bad('NEWOBJ_EX with keyword arguments');
          this.push(this.call(cls, args, 'NEWOBJ_EX'));
          break;
        }
        case 0x62: { // BUILD: only the handler that made the value may apply state to it
          const state = this.pop();
          const obj = this.pop();
          const handler = typeof obj === 'object' && obj !== null ? this.madeBy.get(obj) : undefined;
          if (!handler?.build) this.bad(`BUILD on ${aPyType(obj)}, which takes no state here`);
          this.push(handler.build(obj, state));
          break;
        }
        case 0x51: // BINPERSID
        case 0x50: { // PERSID
          const pid = op === 0x51 ? this.pop() : this.line();
          if (!this.o.persistentLoad) this.bad('persistent id, but this file has no persistent storage');
          this.push(this.o.persistentLoad(pid));
          break;
        }
        case 0x82: case 0x83: case 0x84: // EXT1/2/4
          this.bad('uses the copyreg extension registry (EXT opcodes), which is not supported');
        default:
          this.bad(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
      }
    }
    return fail('BAD_CHECKPOINT', `truncated pickle at byte ${b.length}: no STOP opcode`, this.o.file);
  }
}
