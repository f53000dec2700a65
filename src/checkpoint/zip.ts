/**
 * A minimal zip reader for PyTorch checkpoints: central directory (zip64 included: torch writes it for large files),
 * stored and deflated entries, CRC-checked. Every offset and length is checked against the buffer before it is used,
 * so a truncated or hostile archive ends in one BAD_CHECKPOINT diagnostic, never an out-of-bounds read or a hang.
 */
import * as zlib from 'node:zlib';
import { fail } from '../diag/index.ts';
import { plainBytes } from './file-bytes.ts';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate; anything else is refused when the entry is read. */
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export interface ZipArchive {
  file: string;
  bytes: Uint8Array;
  entries: ZipEntry[];
  byName: Map<string, ZipEntry>;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EOCD_SIZE = 56;
const MAX_COMMENT = 0xffff;

/** Reads little-endian fields at checked positions; `what` says which structure a truncation cut. */
class Reader {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(offset: number, length: number, what: string): void {
    if (offset < 0 || length < 0 || offset + length > this.bytes.length)
      fail('BAD_CHECKPOINT', `truncated zip: ${what} at offset ${offset} (${length} bytes) beyond end of file (${this.bytes.length} bytes)`, this.file);
  }
  u16(o: number): number {
    return this.view.getUint16(o, true);
  }
  u32(o: number): number {
    return this.view.getUint32(o, true);
  }
  u64(o: number, what: string): number {
    const v = this.view.getBigUint64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail('BAD_CHECKPOINT', `malformed zip: ${what} ${v} is too large`, this.file);
    return Number(v);
  }
}

/** The last End Of Central Directory record whose comment fits in the file. */
function findEocd(r: Reader): number {
  const n = r.bytes.length;
  for (let o = n - EOCD_SIZE; o >= 0 && o >= n - EOCD_SIZE - MAX_COMMENT; o--) {
    if (r.u32(o) === SIG_EOCD && o + EOCD_SIZE + r.u16(o + 20) <= n) return o;
  }
  return fail('BAD_CHECKPOINT', `not a zip archive or truncated: no end of central directory record in its last ${Math.min(n, EOCD_SIZE + MAX_COMMENT)} bytes (file is ${n} bytes)`, r.file);
}

/** Where the central directory is and how many entries it has, from the EOCD or its zip64 record. */
function centralDirectory(r: Reader): { offset: number; size: number; count: number } {
  const eocd = findEocd(r);
  let count = r.u16(eocd + 10);
  let size = r.u32(eocd + 12);
  let offset = r.u32(eocd + 16);
  const locator = eocd - ZIP64_LOCATOR_SIZE;
  const needs64 = count === 0xffff || size === 0xffffffff || offset === 0xffffffff;
  if (locator >= 0 && r.u32(locator) === SIG_ZIP64_LOCATOR) {
    const rec = r.u64(locator + 8, 'zip64 end of central directory offset');
    r.need(rec, ZIP64_EOCD_SIZE, 'zip64 end of central directory');
    if (r.u32(rec) !== SIG_ZIP64_EOCD) fail('BAD_CHECKPOINT', `malformed zip: no zip64 end of central directory record at offset ${rec}`, r.file);
    count = r.u64(rec + 32, 'zip64 entry count');
    size = r.u64(rec + 40, 'zip64 central directory size');
    offset = r.u64(rec + 48, 'zip64 central directory offset');
  } else if (needs64) {
    fail('BAD_CHECKPOINT', 'malformed zip: sizes say zip64 but there is no zip64 end of central directory locator', r.file);
  }
  if (offset + size > r.bytes.length)
    fail('BAD_CHECKPOINT', `truncated zip: central directory at offset ${offset} (${size} bytes) beyond end of file (${r.bytes.length} bytes)`, r.file);
  if (count * CENTRAL_SIZE > size) fail('BAD_CHECKPOINT', `malformed zip: ${count} entries cannot fit in a ${size}-byte central directory`, r.file);
  return { offset, size, count };
}

/** The zip64 extended-information extra field replaces whichever 32-bit fields are 0xFFFFFFFF, in this order. */
function applyZip64Extra(r: Reader, e: ZipEntry, extra: number, extraLen: number): void {
  const end = extra + extraLen;
  for (let o = extra; o + 4 <= end; ) {
    const id = r.u16(o);
    const len = r.u16(o + 2);
    if (o + 4 + len > end) fail('BAD_CHECKPOINT', `malformed zip: extra field of '${e.name}' overruns its header`, r.file);
    if (id === 0x0001) {
      let p = o + 4;
      const take = (what: string): number => {
        if (p + 8 > o + 4 + len) fail('BAD_CHECKPOINT', `malformed zip: zip64 extra field of '${e.name}' lacks its ${what}`, r.file);
        const v = r.u64(p, `${what} of '${e.name}'`);
        p += 8;
        return v;
      };
      if (e.size === 0xffffffff) e.size = take('size');
      if (e.compressedSize === 0xffffffff) e.compressedSize = take('compressed size');
      if (e.localHeaderOffset === 0xffffffff) e.localHeaderOffset = take('local header offset');
      return;
    }
    o += 4 + len;
  }
}

/** Parse the central directory: every entry's name, method, sizes and local header offset (not yet checked). */
export function openZip(bytes: Uint8Array, file: string): ZipArchive {
  bytes = plainBytes(bytes);
  const r = new Reader(bytes, file);
  if (bytes.length < EOCD_SIZE) fail('BAD_CHECKPOINT', `truncated zip: ${bytes.length} bytes is shorter than an empty archive`, file);
  const cd = centralDirectory(r);
  const entries: ZipEntry[] = [];
  const byName = new Map<string, ZipEntry>();
  const end = cd.offset + cd.size;
  const utf8 = new TextDecoder('utf-8');
  let o = cd.offset;
  for (let i = 0; i < cd.count; i++) {
    if (o + CENTRAL_SIZE > end) fail('BAD_CHECKPOINT', `truncated zip: central directory entry ${i} at offset ${o} runs past the directory's end (${end})`, file);
    if (r.u32(o) !== SIG_CENTRAL) fail('BAD_CHECKPOINT', `malformed zip: no central directory entry signature at offset ${o} (entry ${i} of ${cd.count})`, file);
    const nameLen = r.u16(o + 28);
    const extraLen = r.u16(o + 30);
    const commentLen = r.u16(o + 32);
    const next = o + CENTRAL_SIZE + nameLen + extraLen + commentLen;
    if (next > end) fail('BAD_CHECKPOINT', `truncated zip: central directory entry ${i} at offset ${o} runs past the directory's end (${end})`, file);
    const e: ZipEntry = {
      name: utf8.decode(bytes.subarray(o + CENTRAL_SIZE, o + CENTRAL_SIZE + nameLen)),
      flags: r.u16(o + 8),
      method: r.u16(o + 10),
      crc32: r.u32(o + 16),
      compressedSize: r.u32(o + 20),
      size: r.u32(o + 24),
      localHeaderOffset: r.u32(o + 42),
    };
    applyZip64Extra(r, e, o + CENTRAL_SIZE + nameLen, extraLen);
    entries.push(e);
    if (!byName.has(e.name)) byName.set(e.name, e);
    o = next;
  }
  return { file, bytes, entries, byName };
}

/** CRC-32 (zip's polynomial): zlib's when this Node has it (>= 20.15), else a table. */
let crcTable: Uint32Array | undefined;
export function crc32(data: Uint8Array): number {
  if (typeof zlib.crc32 === 'function') return zlib.crc32(data) >>> 0;
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** An entry's uncompressed bytes (a view into the archive when stored), checked against its size and CRC. */
export function readZipEntry(zip: ZipArchive, entry: ZipEntry): Uint8Array {
  const r = new Reader(zip.bytes, zip.file);
  const what = `entry '${entry.name}'`;
  r.need(entry.localHeaderOffset, LOCAL_SIZE, `local header of ${what}`);
  if (r.u32(entry.localHeaderOffset) !== SIG_LOCAL)
    fail('BAD_CHECKPOINT', `malformed zip: no local header signature at offset ${entry.localHeaderOffset} for ${what}`, zip.file);
  if (entry.flags & 1) fail('BAD_CHECKPOINT', `${what} is encrypted`, zip.file);
  const start = entry.localHeaderOffset + LOCAL_SIZE + r.u16(entry.localHeaderOffset + 26) + r.u16(entry.localHeaderOffset + 28);
  r.need(start, entry.compressedSize, `data of ${what}`);
  const raw = zip.bytes.subarray(start, start + entry.compressedSize);
  let data: Uint8Array;
  if (entry.method === 0) {
    if (entry.size !== entry.compressedSize)
      fail('BAD_CHECKPOINT', `malformed zip: stored ${what} has size ${entry.size} but compressed size ${entry.compressedSize}`, zip.file);
    data = raw;
  } else if (entry.method === 8) {
    // maxOutputLength bounds the work a lying header (a zip bomb) can cause.
    if (entry.size > 2 ** 31 - 1) fail('BAD_CHECKPOINT', `${what} claims ${entry.size} bytes uncompressed; too large to inflate`, zip.file);
    try {
      data = plainBytes(zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) }));
    } catch (e) {
      const why = (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? `it inflates to more than the ${entry.size} bytes the directory says` : (e as Error).message;
      return fail('BAD_CHECKPOINT', `cannot inflate ${what}: ${why}`, zip.file);
    }
    if (data.length !== entry.size)
      fail('BAD_CHECKPOINT', `${what} inflates to ${data.length} bytes, the directory says ${entry.size}`, zip.file);
  } else {
    return fail('BAD_CHECKPOINT', `${what} uses compression method ${entry.method}; only stored (0) and deflate (8) are supported`, zip.file);
  }
  // torch.save can skip CRCs (torch.serialization.set_crc32_options(False)) and then writes 0: nothing to check.
  const crc = entry.crc32 === 0 ? 0 : crc32(data);
  if (crc !== entry.crc32)
    fail('BAD_CHECKPOINT', `${what} is corrupt: CRC-32 ${hex(crc)} does not match the directory's ${hex(entry.crc32)}`, zip.file);
  return data;
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}
