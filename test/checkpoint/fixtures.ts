/**
 * Checkpoint fixtures built in memory, written from the formats' specifications rather than by the code under test:
 * a tiny pickler over a Python value tree (memoising shared nodes as Python's pickler does), a zip writer (stored or
 * deflated entries, optionally zip64), and a torch.save-style archive around them.
 */
import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { VitpipeError } from '../../src/diag/index.ts';
import { crc32 } from '../../src/checkpoint/zip.ts';

// ---- Python values and a pickler for them (protocol 2 opcodes) ----
export type Py = null | boolean | number | bigint | string | Uint8Array | PyNode;
export type PyNode =
  | { t: 'tuple'; items: Py[] }
  | { t: 'list'; items: Py[] }
  | { t: 'dict'; items: [Py, Py][] }
  | { t: 'float'; v: number }
  | { t: 'global'; module: string; name: string; stack?: boolean }
  | { t: 'reduce'; fn: Py; args: Py[] }
  | { t: 'build'; obj: Py; state: Py }
  | { t: 'persid'; pid: Py }
  | { t: 'odict'; items: [Py, Py][] };

export const tuple = (...items: Py[]): PyNode => ({ t: 'tuple', items });
export const list = (...items: Py[]): PyNode => ({ t: 'list', items });
export const dict = (...items: [Py, Py][]): PyNode => ({ t: 'dict', items });
export const float = (v: number): PyNode => ({ t: 'float', v });
export const global = (module: string, name: string, stack = false): PyNode => ({ t: 'global', module, name, stack });
export const reduce = (fn: Py, ...args: Py[]): PyNode => ({ t: 'reduce', fn, args });
export const build = (obj: Py, state: Py): PyNode => ({ t: 'build', obj, state });
export const persid = (pid: Py): PyNode => ({ t: 'persid', pid });

const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const utf8 = (s: string): number[] => [...Buffer.from(s, 'utf8')];

/** Pickle a value tree; objects met twice are written once and fetched from the memo (BINPUT/BINGET) after that. */
export function pickle(value: Py, protocol = 2): Uint8Array {
  const out: number[] = [0x80, protocol];
  const memo = new Map<object, number>();
  const put = (v: object): void => {
    memo.set(v, memo.size);
    out.push(0x71, memo.size - 1);
  };
  const emit = (v: Py): void => {
    if (typeof v === 'object' && v !== null && memo.has(v)) return void out.push(0x68, memo.get(v)!);
    if (v === null) out.push(0x4e);
    else if (v === true) out.push(0x88);
    else if (v === false) out.push(0x89);
    else if (typeof v === 'number' && v >= 0 && v < 256) out.push(0x4b, v);
    else if (typeof v === 'number' && v >= 0 && v < 65536) out.push(0x4d, v & 0xff, v >> 8);
    else if (typeof v === 'number' && v >= -(2 ** 31) && v < 2 ** 31) out.push(0x4a, ...u32(v));
    else if (typeof v === 'number' || typeof v === 'bigint') {
      const bytes: number[] = [];
      for (let x = BigInt(v); ; x >>= 8n) {
        bytes.push(Number(x & 0xffn));
        if ((x >= -128n && x < 128n)) break;
      }
      out.push(0x8a, bytes.length, ...bytes);
    } else if (typeof v === 'string') {
      const b = utf8(v);
      out.push(0x58, ...u32(b.length), ...b);
    } else if (v instanceof Uint8Array) out.push(0x43, v.length, ...v);
    else if (v.t === 'float') {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(v.v);
      out.push(0x47, ...b);
    } else if (v.t === 'tuple') {
      out.push(0x28);
      v.items.forEach(emit);
      out.push(0x74);
      put(v);
    } else if (v.t === 'list') {
      out.push(0x5d);
      put(v);
      out.push(0x28);
      v.items.forEach(emit);
      out.push(0x65);
    } else if (v.t === 'dict') {
      out.push(0x7d);
      put(v);
      out.push(0x28);
      for (const [k, x] of v.items) emit(k), emit(x);
      out.push(0x75);
    } else if (v.t === 'global') {
      if (v.stack) emit(v.module), emit(v.name), out.push(0x93);
      else out.push(0x63, ...utf8(`${v.module}\n${v.name}\n`));
      put(v);
    } else if (v.t === 'reduce') {
      emit(v.fn);
      emit(tuple(...v.args));
      out.push(0x52);
      put(v);
    } else if (v.t === 'build') {
      emit(v.obj);
      emit(v.state);
      out.push(0x62);
    } else if (v.t === 'odict') {
      emit(ORDERED_DICT);
      out.push(0x29, 0x52);
      put(v);
      out.push(0x28);
      for (const [k, x] of v.items) emit(k), emit(x);
      out.push(0x75);
      emit(dict(['_metadata', dict(['', dict(['version', 1])])]));
      out.push(0x62);
    } else {
      emit(v.pid);
      out.push(0x51);
    }
  };
  emit(value);
  out.push(0x2e);
  return Uint8Array.from(out);
}

// ---- torch.save's vocabulary ----
export const ORDERED_DICT = global('collections', 'OrderedDict');
const REBUILD = global('torch._utils', '_rebuild_tensor_v2');

export interface StorageSpec {
  cls: string;
  key: string;
  numel: number;
}

/** _rebuild_tensor_v2(persistent storage, offset, size, stride, requires_grad=False, backward_hooks=OrderedDict()). */
export function torchTensor(s: StorageSpec, offset: number, size: number[], stride: number[]): PyNode {
  const pid = tuple('storage', global('torch', s.cls), s.key, 'cuda:0', s.numel);
  return reduce(REBUILD, persid(pid), offset, tuple(...size), tuple(...stride), false, reduce(ORDERED_DICT));
}

/** OrderedDict(entries) the way torch.save writes a state dict: REDUCE, SETITEMS, then BUILD with its _metadata. */
export const stateDict = (...items: [Py, Py][]): PyNode => ({ t: 'odict', items });

// ---- zip ----
export interface ZipInput {
  name: string;
  data: Uint8Array;
  deflate?: boolean;
}

/** A zip archive as the APPNOTE describes it; with `zip64`, the directory's sizes and offsets live in zip64 fields. */
export function makeZip(inputs: ZipInput[], opts: { zip64?: boolean } = {}): Buffer {
  const chunks: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const f of inputs) {
    const name = Buffer.from(f.name, 'utf8');
    const body = f.deflate ? deflateRawSync(f.data) : Buffer.from(f.data);
    const crc = crc32(f.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(opts.zip64 ? 45 : 20, 4);
    local.writeUInt16LE(f.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(f.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    chunks.push(local, name, body);
    const extra = Buffer.alloc(opts.zip64 ? 28 : 0);
    if (opts.zip64) {
      extra.writeUInt16LE(1, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(f.data.length), 4);
      extra.writeBigUInt64LE(BigInt(body.length), 12);
      extra.writeBigUInt64LE(BigInt(offset), 20);
    }
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(opts.zip64 ? 45 : 20, 4);
    cd.writeUInt16LE(opts.zip64 ? 45 : 20, 6);
    cd.writeUInt16LE(f.deflate ? 8 : 0, 10);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(opts.zip64 ? 0xffffffff : body.length, 20);
    cd.writeUInt32LE(opts.zip64 ? 0xffffffff : f.data.length, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt16LE(extra.length, 30);
    cd.writeUInt32LE(opts.zip64 ? 0xffffffff : offset, 42);
    central.push(cd, name, extra);
    offset += local.length + name.length + body.length;
  }
  const cdBytes = Buffer.concat(central);
  const tail: Buffer[] = [];
  if (opts.zip64) {
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(0x06064b50, 0);
    rec.writeBigUInt64LE(44n, 4);
    rec.writeUInt16LE(45, 12);
    rec.writeUInt16LE(45, 14);
    rec.writeBigUInt64LE(BigInt(inputs.length), 24);
    rec.writeBigUInt64LE(BigInt(inputs.length), 32);
    rec.writeBigUInt64LE(BigInt(cdBytes.length), 40);
    rec.writeBigUInt64LE(BigInt(offset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(offset + cdBytes.length), 8);
    locator.writeUInt32LE(1, 16);
    tail.push(rec, locator);
  }
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(opts.zip64 ? 0xffff : inputs.length, 8);
  eocd.writeUInt16LE(opts.zip64 ? 0xffff : inputs.length, 10);
  eocd.writeUInt32LE(opts.zip64 ? 0xffffffff : cdBytes.length, 12);
  eocd.writeUInt32LE(opts.zip64 ? 0xffffffff : offset, 16);
  return Buffer.concat([...chunks, cdBytes, ...tail, eocd]);
}

export interface TorchZipOptions {
  prefix?: string;
  /** null: no byteorder record (torch < 1.10). */
  byteorder?: string | null;
  deflate?: boolean;
  zip64?: boolean;
}

/** A torch.save archive: `<prefix>/data.pkl`, `byteorder`, `data/<key>` storages, `version`. */
export function torchZip(pkl: Uint8Array, storages: Record<string, Uint8Array>, opts: TorchZipOptions = {}): Buffer {
  const p = opts.prefix ?? 'archive';
  const entries: ZipInput[] = [{ name: `${p}/data.pkl`, data: pkl, deflate: opts.deflate }];
  if (opts.byteorder !== null) entries.push({ name: `${p}/byteorder`, data: Buffer.from(opts.byteorder ?? 'little') });
  for (const [key, data] of Object.entries(storages)) entries.push({ name: `${p}/data/${key}`, data, deflate: opts.deflate });
  entries.push({ name: `${p}/version`, data: Buffer.from('3\n') });
  return makeZip(entries, { zip64: opts.zip64 });
}

// ---- typed bytes and assertions ----
export const f32Bytes = (values: number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);

/** The diagnostic `f` throws; fails the test if it throws anything else or nothing. */
export function diagnosticOf(f: () => unknown): VitpipeError['diagnostic'] {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof VitpipeError, `expected a VitpipeError, got ${String(e)}`);
    return e.diagnostic;
  }
  return assert.fail('expected an error');
}
