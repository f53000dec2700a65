import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  DTYPES, bytesPerElement, float32Tensor, floatValues, loadCheckpoint, readSafetensors, writeSafetensors, type NamedTensors, type Tensor,
} from '../../src/checkpoint/index.ts';
import { diagnosticOf, pickle, tuple } from './fixtures.ts';

const FILE = 'fixture.safetensors';

/** A safetensors file from a header given as JSON text, followed by `data`. */
function rawFile(header: string, data: Uint8Array = new Uint8Array(0)): Buffer {
  const h = Buffer.from(header, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, data]);
}

const tensorOf = (dtype: Tensor['dtype'], shape: number[], bytes: number[]): Tensor => ({ dtype, shape, bytes: Uint8Array.from(bytes) });

describe('safetensors', () => {
  test('write → read round-trips every dtype, in insertion order, with scalar and empty shapes', () => {
    const tensors: NamedTensors = new Map();
    let seed = 1;
    for (const dtype of DTYPES) {
      const n = 6;
      tensors.set(`t.${dtype}`, tensorOf(dtype, [2, 3], Array.from({ length: n * bytesPerElement(dtype) }, () => (seed = (seed * 73 + 11) % 251))));
    }
    tensors.set('10', tensorOf('F32', [], [0, 0, 0x80, 0x3f])); // an integer-like name keeps its place
    tensors.set('empty', tensorOf('I16', [0, 4], []));
    const file = writeSafetensors(tensors, { format: 'pt', note: 'ünïcode' });
    const back = readSafetensors(FILE, file);
    assert.deepEqual([...back.keys()], [...tensors.keys()]);
    for (const [name, t] of tensors) assert.deepEqual({ ...back.get(name)!, bytes: [...back.get(name)!.bytes] }, { ...t, bytes: [...t.bytes] }, name);
    const headerLength = Number(file.readBigUInt64LE(0));
    assert.equal(headerLength % 8, 0);
    const text = file.subarray(8, 8 + headerLength).toString('utf8');
    assert.ok(text.startsWith('{"__metadata__":{"format":"pt","note":"ünïcode"},"t.F64":'), text);
    assert.match(text, /"t.BOOL":\{[^}]*\},"10":\{[^}]*\},"empty":\{[^}]*\}\} *$/);
  });
  test('the layout is the reference implementation’s: compact JSON padded with spaces to a multiple of 8', () => {
    const file = writeSafetensors(new Map([['x', tensorOf('F32', [1], [0, 0, 0x80, 0x3f])]]));
    const json = '{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'; // 54 bytes → two spaces of padding
    assert.deepEqual(file, Buffer.concat([Buffer.from([56, 0, 0, 0, 0, 0, 0, 0]), Buffer.from(json + '  '), Buffer.from([0, 0, 0x80, 0x3f])]));
  });
  test('malformed files are BAD_CHECKPOINT naming the file and the tensor', () => {
    const okHeader = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const cases: [Uint8Array, string | RegExp][] = [
      [Buffer.from([1, 2, 3]), '3 bytes is too short for a safetensors file (8-byte header length first)'],
      [Buffer.concat([Buffer.from([0xe8, 3, 0, 0, 0, 0, 0, 0]), Buffer.from('{}')]), 'header length 1000 runs past the end of the file (10 bytes)'],
      [Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7b]), /header length 18446744073709551615 runs past the end/],
      [rawFile('{"a": {"dtype": "F32",'), /^header is not valid JSON: /],
      [rawFile('[1, 2]'), "header does not start with '{' (starts \"[1, 2]\")"],
      [rawFile(okHeader, new Uint8Array(4)), "tensor 'a': data_offsets [0, 8] run past the end of the data (4 bytes after the header)"],
      [rawFile('{"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}', new Uint8Array(2)), /^tensor 'a': dtype "F8_E4M3" is not supported \(F64, F32, /],
      [rawFile('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', new Uint8Array(8)), "tensor 'a': data_offsets [0, 8] hold 8 bytes, shape [3] F32 needs 12"],
      [rawFile('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}', new Uint8Array(8)), "tensor 'a': shape [-1] is not a list of non-negative integers"],
      [rawFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}', new Uint8Array(8)), "tensor 'a': data_offsets [8,0] is not [begin, end] with 0 <= begin <= end"],
      [rawFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I32","shape":[2],"data_offsets":[4,12]}}', new Uint8Array(12)), "tensor 'b': data_offsets [4, 12] overlap tensor 'a' (ends at 8)"],
      [rawFile('{"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}', new Uint8Array(4)), "tensor 'a': data_offsets [2, 4] leave a gap after byte 0"],
      [rawFile(okHeader, new Uint8Array(9)), "1 bytes after the last tensor's data"],
      [rawFile('{"__metadata__":{"epoch":3}}'), "__metadata__ entry 'epoch' is a number, not a string"],
      [rawFile('{"a":[1]}'), "tensor 'a': header entry is not an object"],
    ];
    for (const [bytes, message] of cases) {
      const d = diagnosticOf(() => readSafetensors(FILE, Buffer.from(bytes)));
      assert.equal(d.code, 'BAD_CHECKPOINT');
      assert.equal(d.where, FILE);
      if (typeof message === 'string') assert.equal(d.message, message);
      else assert.match(d.message, message);
    }
  });
  test('writing refuses tensors whose bytes do not match their shape', () => {
    const d = diagnosticOf(() => writeSafetensors(new Map([['w', tensorOf('F32', [2], [0, 0, 0, 0])]])));
    assert.equal(d.code, 'BAD_ARGUMENT');
    assert.match(d.message, /cannot write tensor 'w': 4 bytes, shape \[2\] F32 needs 8/);
  });
});

describe('tensor values', () => {
  test('every dtype converts to float32; F16 and BF16 exactly', () => {
    const le = (n: number, write: (b: Buffer, v: number, i: number) => void, values: number[]): number[] => {
      const b = Buffer.alloc(n * values.length);
      values.forEach((v, i) => write(b, v, i * n));
      return [...b];
    };
    const cases: [Tensor, number[]][] = [
      [tensorOf('F64', [2], le(8, (b, v, o) => b.writeDoubleLE(v, o), [0.1, -1e300])), [Math.fround(0.1), -Infinity]],
      [tensorOf('F32', [2], le(4, (b, v, o) => b.writeFloatLE(v, o), [1.5, -3])), [1.5, -3]],
      // 1, -2, 65504 (largest), 2^-24 (smallest subnormal), 2^-14 (smallest normal), -0, inf, NaN
      [tensorOf('F16', [8], le(2, (b, v, o) => b.writeUInt16LE(v, o), [0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x8000, 0x7c00, 0x7e00])), [1, -2, 65504, 2 ** -24, 2 ** -14, -0, Infinity, NaN]],
      // 1, -3.140625, the smallest bfloat16 subnormal 2^-133, -inf
      [tensorOf('BF16', [4], le(2, (b, v, o) => b.writeUInt16LE(v, o), [0x3f80, 0xc049, 0x0001, 0xff80])), [1, -3.140625, 2 ** -133, -Infinity]],
      [tensorOf('I64', [2], le(8, (b, v, o) => b.writeBigInt64LE(BigInt(v), o), [-5, 2 ** 40])), [-5, 2 ** 40]],
      [tensorOf('I32', [1], le(4, (b, v, o) => b.writeInt32LE(v, o), [-123456])), [-123456]],
      [tensorOf('I16', [1], le(2, (b, v, o) => b.writeInt16LE(v, o), [-300])), [-300]],
      [tensorOf('I8', [2], [0x80, 0x7f]), [-128, 127]],
      [tensorOf('U8', [2], [0x80, 0xff]), [128, 255]],
      [tensorOf('BOOL', [2], [0, 1]), [0, 1]],
    ];
    for (const [t, expected] of cases) assert.deepEqual(Array.from(floatValues(t)), expected, t.dtype);
    // A view at an odd offset (as inside a file) reads the same.
    const odd = new Uint8Array(9).subarray(1);
    odd.set(new Uint8Array(Float32Array.from([2, 4]).buffer));
    assert.deepEqual(Array.from(floatValues({ dtype: 'F32', shape: [2], bytes: odd })), [2, 4]);
  });
  test('float32Tensor packs values little-endian and checks their count', () => {
    const t = float32Tensor([2, 1], Float32Array.from([1, -2]));
    assert.deepEqual([t.dtype, t.shape, [...t.bytes]], ['F32', [2, 1], [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]]);
    assert.equal(diagnosticOf(() => float32Tensor([3], new Float32Array(2))).code, 'BAD_ARGUMENT');
  });
});

describe('loadCheckpoint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitpipe-load-'));
  const write = (name: string, bytes: Uint8Array): string => {
    writeFileSync(join(dir, name), bytes);
    return join(dir, name);
  };
  test('reads safetensors by content, whatever the extension', () => {
    const file = write('weights.pth', writeSafetensors(new Map([['w', float32Tensor([2], Float32Array.from([1, 2]))]])));
    const { format, tensors } = loadCheckpoint(file);
    assert.equal(format, 'safetensors');
    assert.deepEqual(Array.from(floatValues(tensors.get('w')!)), [1, 2]);
  });
  test('refuses legacy pickles, unknown content, empty files and missing files with what to do', () => {
    const legacy = diagnosticOf(() => loadCheckpoint(write('old.pth', pickle(tuple()))));
    assert.equal(legacy.code, 'BAD_CHECKPOINT');
    assert.match(legacy.message, /legacy \(pre-1.6, non-zip\) PyTorch pickle/);
    assert.match(legacy.hint!, /torch>=1.6 default zip format/);
    for (const bytes of [Buffer.from('hello, this is not a checkpoint'), Buffer.alloc(0)]) {
      const d = diagnosticOf(() => loadCheckpoint(write('junk.bin', bytes)));
      assert.deepEqual([d.code, d.message, d.where], ['BAD_CHECKPOINT', 'not a PyTorch zip checkpoint or a safetensors file', join(dir, 'junk.bin')]);
    }
    const empty = diagnosticOf(() => loadCheckpoint(write('empty.safetensors', writeSafetensors(new Map()))));
    assert.equal(empty.message, 'the checkpoint holds no tensors');
    const missing = diagnosticOf(() => loadCheckpoint(join(dir, 'nope.pth')));
    assert.equal(missing.code, 'IO_ERROR');
    assert.equal(missing.where, join(dir, 'nope.pth'));
  });
});
