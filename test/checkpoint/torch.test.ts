import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { floatValues, loadCheckpoint, readTorchCheckpoint, type NamedTensors } from '../../src/checkpoint/index.ts';
import { SHARED_DIR } from '../shared.ts';
import {
  diagnosticOf, dict, float, global, list, makeZip, persid, pickle, reduce, stateDict, torchTensor, torchZip, tuple,
  type Py, type TorchZipOptions,
} from './fixtures.ts';

const FILE = 'fixture.pth';
const S0 = { cls: 'FloatStorage', key: '0', numel: 12 };
const S1 = { cls: 'HalfStorage', key: '1', numel: 4 };
const S2 = { cls: 'LongStorage', key: '2', numel: 1 };
/** An optimizer moment whose storage record is deliberately absent: reading it would fail. */
const S9 = { cls: 'FloatStorage', key: '9', numel: 4 };

const STORAGE0 = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
/** 1, -2, 0.5 and the smallest subnormal half, 2^-24. */
const HALF_BITS = [0x3c00, 0xc000, 0x3800, 0x0001];

function storages(bigEndian = false): Record<string, Uint8Array> {
  const f32 = Buffer.alloc(48);
  STORAGE0.forEach((v, i) => (bigEndian ? f32.writeFloatBE(v, 4 * i) : f32.writeFloatLE(v, 4 * i)));
  const f16 = Buffer.alloc(8);
  HALF_BITS.forEach((v, i) => (bigEndian ? f16.writeUInt16BE(v, 2 * i) : f16.writeUInt16LE(v, 2 * i)));
  const i64 = Buffer.alloc(8);
  bigEndian ? i64.writeBigInt64BE(-42n) : i64.writeBigInt64LE(-42n);
  return { '0': f32, '1': f16, '2': i64 };
}

/** The model's state dict: a transposed view, a view at an offset into the same storage, a Parameter, a scalar. */
const MODEL = stateDict(
  ['a.weight', torchTensor(S0, 0, [3, 2], [1, 3])],
  ['b.bias', torchTensor(S0, 6, [2, 2], [2, 1])],
  ['c.half', reduce(global('torch._utils', '_rebuild_parameter'), torchTensor(S1, 0, [4], [1]), true, reduce(global('collections', 'OrderedDict')))],
  ['n', torchTensor(S2, 0, [], [])],
  ['note', 'not a tensor'],
);

/** A training checkpoint: the model under `key`, beside an epoch and optimizer state holding tensors of its own. */
function trainingCheckpoint(key: string, opts: TorchZipOptions = {}, bigEndian = false): Buffer {
  const optimizer = dict(
    ['state', dict([0, dict(['exp_avg', torchTensor(S9, 0, [4], [1])], ['step', float(3)])])],
    ['param_groups', list(dict(['lr', float(0.001)], ['betas', tuple(float(0.9), float(0.999))], ['params', list(0, 1)]))],
  );
  return torchZip(pickle(dict(['epoch', 7], [key, MODEL], ['optimizer', optimizer])), storages(bigEndian), opts);
}

function checkModel(t: NamedTensors): void {
  assert.deepEqual([...t.keys()], ['a.weight', 'b.bias', 'c.half', 'n']);
  const a = t.get('a.weight')!;
  assert.equal(a.dtype, 'F32');
  assert.deepEqual(a.shape, [3, 2]);
  // a[i][j] = storage[i·1 + j·3]
  assert.deepEqual(Array.from(floatValues(a)), [0, 3, 1, 4, 2, 5]);
  assert.deepEqual(t.get('b.bias')!.shape, [2, 2]);
  assert.deepEqual(Array.from(floatValues(t.get('b.bias')!)), [6, 7, 8, 9]);
  const c = t.get('c.half')!;
  assert.equal(c.dtype, 'F16');
  assert.deepEqual(Array.from(floatValues(c)), [1, -2, 0.5, 2 ** -24]);
  const n = t.get('n')!;
  assert.deepEqual([n.dtype, n.shape], ['I64', []]);
  assert.equal(Buffer.from(n.bytes).readBigInt64LE(), -42n);
}

describe('PyTorch zip checkpoints', () => {
  test('strided and shared-storage views are materialised contiguously from the state_dict entry', () => {
    checkModel(readTorchCheckpoint(FILE, trainingCheckpoint('state_dict')));
  });
  test("a state dict under 'model', or at the top level, is found the same way", () => {
    checkModel(readTorchCheckpoint(FILE, trainingCheckpoint('model')));
    checkModel(readTorchCheckpoint(FILE, torchZip(pickle(MODEL), storages())));
  });
  test('deflated entries, zip64 directories, another prefix and big-endian storages read the same', () => {
    checkModel(readTorchCheckpoint(FILE, trainingCheckpoint('state_dict', { deflate: true })));
    checkModel(readTorchCheckpoint(FILE, trainingCheckpoint('state_dict', { zip64: true, prefix: 'my_model' })));
    checkModel(readTorchCheckpoint(FILE, trainingCheckpoint('state_dict', { byteorder: null })));
    checkModel(readTorchCheckpoint(FILE, trainingCheckpoint('state_dict', { byteorder: 'big' }, true)));
  });
  test('loadCheckpoint recognises the archive by content and names the format', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitpipe-ckpt-'));
    const file = join(dir, 'weights.bin');
    writeFileSync(file, trainingCheckpoint('state_dict'));
    const { format, tensors } = loadCheckpoint(file);
    assert.equal(format, 'torch-zip');
    checkModel(tensors);
  });

  const bad = (pkl: Py, store: Record<string, Uint8Array> = storages()) => diagnosticOf(() => readTorchCheckpoint(FILE, torchZip(pickle(pkl), store)));
  test('malformed content is a BAD_CHECKPOINT naming the file and what is wrong', () => {
    const cases: [Py, RegExp, Record<string, Uint8Array>?][] = [
      [dict(['epoch', 3]), /no tensors in its top-level dict \(1 entries; keys: epoch\)/],
      [list(1, 2), /holds a list, not a dict of tensors/],
      [stateDict(['x', torchTensor(S0, 4, [3, 3], [3, 1])]), /tensor 'x' \(offset 4, size \[3,3\], stride \[3,1\]\) reaches element 12 of a 12-element storage/],
      [stateDict(['x', torchTensor({ cls: 'FloatStorage', key: '7', numel: 2 }, 0, [2], [1])]), /storage record 'archive\/data\/7' is missing/],
      [stateDict(['x', torchTensor({ cls: 'FloatStorage', key: '1', numel: 4 }, 0, [4], [1])]), /'archive\/data\/1' has 8 bytes, its 4 F32 elements need 16/],
      [stateDict(['x', torchTensor({ cls: 'ComplexFloatStorage', key: '0', numel: 6 }, 0, [6], [1])]), /torch.ComplexFloatStorage are not supported/],
      [stateDict(['x', torchTensor(S0, 0, [3, 2], [1])]), /size \(3,2\) and stride \(1\) differ in length/],
      [stateDict(['x', torchTensor(S0, 0, [2 ** 40], [0])]), /tensor 'x' of size \[1099511627776\] is too large to materialise/],
      [stateDict(['x', reduce(global('torch._utils', '_rebuild_tensor_v2'), persid(tuple('storage', global('torch', 'FloatStorage'), '0', 'cpu', 12)))]), /takes 6 or 7 arguments, got 1/],
      [stateDict([3, torchTensor(S0, 0, [2], [1])]), /a tensor in its top-level dict has an int key, not a name/],
    ];
    for (const [pkl, message, store] of cases) {
      const d = bad(pkl, store);
      assert.equal(d.code, 'BAD_CHECKPOINT', d.message);
      assert.equal(d.where, FILE);
      assert.match(d.message, message);
    }
    const noBytes = diagnosticOf(() => readTorchCheckpoint(FILE, torchZip(pickle(MODEL), storages(), { byteorder: 'middle' })));
    assert.match(noBytes.message, /byteorder record says 'middle'/);
  });
  test('a TorchScript archive is told apart from a torch.save checkpoint', () => {
    const zip = makeZip([
      { name: 'archive/data.pkl', data: pickle(MODEL) },
      { name: 'archive/code/__torch__/model.py', data: Buffer.from('class ViT: ...') },
      { name: 'archive/constants.pkl', data: pickle(tuple()) },
    ]);
    const d = diagnosticOf(() => readTorchCheckpoint(FILE, zip));
    assert.match(d.message, /TorchScript archive/);
  });
  test('a whole pickled module is refused with a hint to save its state_dict', () => {
    const d = bad(reduce(global('__main__', 'ViT')));
    assert.equal(d.code, 'UNSAFE_CHECKPOINT');
    assert.match(d.message, /refuses global '__main__.ViT' \(only collections.OrderedDict, torch._utils._rebuild_tensor_v2, .*torch.\*Storage.* are allowed\); nothing was executed/);
    assert.match(d.hint!, /state_dict/);
  });
});

const REAL = join(SHARED_DIR, 'cifar10', 'vit_cifar10.pth');
describe('the shared CIFAR-10 ViT checkpoint', { skip: existsSync(REAL) ? false : `needs ${REAL} (set VITPIPE_SHARED); skipped` }, () => {
  test('80 float32 tensors with the documented shapes', () => {
    const { format, tensors } = loadCheckpoint(REAL);
    assert.equal(format, 'torch-zip');
    assert.equal(tensors.size, 80);
    assert.ok([...tensors.values()].every((t) => t.dtype === 'F32'));
    assert.deepEqual(tensors.get('transformer.layers.0.self_attn.in_proj_weight')!.shape, [384, 128]);
    assert.deepEqual(tensors.get('pos_embed')!.shape, [1, 65, 128]);
    assert.deepEqual(tensors.get('mlp_head.1.weight')!.shape, [10, 128]);
    assert.deepEqual(tensors.get('patch_embed.proj.weight')!.shape, [128, 3, 4, 4]);
    // Computed independently with Python's zipfile + struct over the storage records, in the pickle's order.
    const hash = createHash('sha256');
    for (const t of tensors.values()) hash.update(t.bytes);
    assert.equal(hash.digest('hex'), '624d66bbe9e436a81f7f1e3f8939a807fb3a1f9587355013d6b0a113c197b6af');
    assert.equal(floatValues(tensors.get('mlp_head.1.bias')!)[0], Math.fround(0.004785868339240551));
  });
});
