/**
 * safetensors (huggingface/safetensors): an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {string: string}}`, then the tensors' bytes,
 * offsets relative to the end of the header. Reading checks everything the reference implementation checks (the
 * tensors tile the data exactly: no overlap, no gap, nothing after), each failure a one-line BAD_CHECKPOINT naming
 * the file and tensor. Writing follows the reference layout byte for byte.
 */
import { fail } from '../diag/index.ts';
import { readFileOrFail } from './file-bytes.ts';
import type { NamedTensors, Tensor } from './tensor.ts';
import { DTYPES, bytesPerElement, elementCount, isDType } from './tensor-values.ts';

/** The reference implementation's limit: a larger header is refused rather than parsed. */
const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';

interface Placed {
  name: string;
  tensor: Tensor;
  begin: number;
  end: number;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function parseHeader(bytes: Uint8Array, file: string): { header: Record<string, unknown>; dataStart: number } {
  const bad: (msg: string) => never = (msg) => fail('BAD_CHECKPOINT', msg, file);
  if (bytes.length < 8) bad(`${bytes.length} bytes is too short for a safetensors file (8-byte header length first)`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) bad(`header length ${n} runs past the end of the file (${bytes.length} bytes)`);
  if (n > MAX_HEADER_BYTES) bad(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const dataStart = 8 + Number(n);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart));
  } catch {
    return bad('header is not valid UTF-8');
  }
  if (!text.startsWith('{')) bad(`header does not start with '{' (starts ${JSON.stringify(text.slice(0, 20))})`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return bad(`header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return bad('header is not a JSON object');
  return { header: header as Record<string, unknown>, dataStart };
}

function checkMetadata(meta: unknown, file: string): void {
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) fail('BAD_CHECKPOINT', `${METADATA_KEY} is not an object`, file);
  for (const [k, v] of Object.entries(meta))
    if (typeof v !== 'string') fail('BAD_CHECKPOINT', `${METADATA_KEY} entry '${k}' is a ${typeof v}, not a string`, file);
}

/** Read a safetensors file. Tensors come in data order (the writer's order); their bytes are views of the file. */
export function readSafetensors(file: string, bytes?: Uint8Array): NamedTensors {
  const buf = readFileOrFail(file, bytes);
  const { header, dataStart } = parseHeader(buf, file);
  const dataLength = buf.length - dataStart;
  const placed: Placed[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      checkMetadata(info, file);
      continue;
    }
    const bad: (msg: string) => never = (msg) => fail('BAD_CHECKPOINT', `tensor '${name}': ${msg}`, file);
    if (typeof info !== 'object' || info === null || Array.isArray(info)) bad('header entry is not an object');
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
    if (!isDType(dtype)) bad(`dtype ${JSON.stringify(dtype)} is not supported (${DTYPES.join(', ')})`);
    if (!Array.isArray(shape) || !shape.every(isCount)) bad(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1])
      bad(`data_offsets ${JSON.stringify(offsets)} is not [begin, end] with 0 <= begin <= end`);
    const [begin, end] = offsets as number[];
    if (end > dataLength) bad(`data_offsets [${begin}, ${end}] run past the end of the data (${dataLength} bytes after the header)`);
    const need = elementCount(shape) * bytesPerElement(dtype);
    if (end - begin !== need) bad(`data_offsets [${begin}, ${end}] hold ${end - begin} bytes, shape [${shape.join(', ')}] ${dtype} needs ${need}`);
    const tensor: Tensor = { dtype, shape: [...shape], bytes: buf.subarray(dataStart + begin, dataStart + end) };
    placed.push({ name, tensor, begin, end });
  }
  placed.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let previous = '';
  for (const p of placed) {
    if (p.begin < at) fail('BAD_CHECKPOINT', `tensor '${p.name}': data_offsets [${p.begin}, ${p.end}] overlap tensor '${previous}' (ends at ${at})`, file);
    if (p.begin > at) fail('BAD_CHECKPOINT', `tensor '${p.name}': data_offsets [${p.begin}, ${p.end}] leave a gap after byte ${at}`, file);
    at = p.end;
    previous = p.name;
  }
  if (at !== dataLength) fail('BAD_CHECKPOINT', `${dataLength - at} bytes after the last tensor's data`, file);
  return new Map(placed.map((p) => [p.name, p.tensor]));
}

/**
 * A safetensors file: tensors in the map's order, `__metadata__` first when given, the header compact JSON padded
 * with spaces to a multiple of 8 bytes (as the reference writer does, so the data is 8-byte aligned).
 */
export function writeSafetensors(tensors: NamedTensors, metadata?: Record<string, string>): Buffer {
  // Built by hand, not JSON.stringify of an object: an object would move integer-like names ('0', '1') first.
  const fields: string[] = [];
  if (metadata) {
    checkMetadata(metadata, 'writeSafetensors');
    fields.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  for (const [name, t] of tensors) {
    const bad: (msg: string) => never = (msg) => fail('BAD_ARGUMENT', `cannot write tensor '${name}': ${msg}`, 'writeSafetensors');
    if (name === METADATA_KEY) bad(`${METADATA_KEY} is reserved`);
    if (!isDType(t.dtype)) bad(`unknown dtype ${String(t.dtype)}`);
    if (!t.shape.every((d) => isCount(d))) bad(`shape [${t.shape.join(', ')}] is not a list of non-negative integers`);
    const need = elementCount(t.shape) * bytesPerElement(t.dtype);
    if (t.bytes.length !== need) bad(`${t.bytes.length} bytes, shape [${t.shape.join(', ')}] ${t.dtype} needs ${need}`);
    fields.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + need] })}`);
    offset += need;
  }
  const json = Buffer.from(`{${fields.join(',')}}`, 'utf8');
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = Buffer.alloc(8 + headerLength + offset, 0x20);
  out.writeBigUInt64LE(BigInt(headerLength), 0);
  json.copy(out, 8);
  let at = 8 + headerLength;
  for (const t of tensors.values()) {
    out.set(t.bytes, at);
    at += t.bytes.length;
  }
  return out;
}
