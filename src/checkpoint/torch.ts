/**
 * PyTorch zip checkpoints (torch.save, torch >= 1.6): `<prefix>/data.pkl` describes the object, `<prefix>/data/<key>`
 * holds each storage's raw bytes, `<prefix>/byteorder` says their byte order. The pickle is read by the restricted
 * unpickler with torch-globals.ts's allow-list; tensors are materialised contiguously from (storage, offset, size,
 * stride) only for the chosen state dict, so optimizer state and the like cost nothing.
 */
import { constants } from 'node:buffer';
import { fail, showValue } from '../diag/index.ts';
import { readFileOrFail } from './file-bytes.ts';
import { PyDict, PyGlobal, aPyType, isTuple, unpickle } from './pickle.ts';
import type { NamedTensors, Tensor } from './tensor.ts';
import { bytesPerElement, elementCount } from './tensor-values.ts';
import { STORAGE_DTYPES, StorageRef, TensorRef, torchGlobals } from './torch-globals.ts';
import { openZip, readZipEntry, type ZipArchive } from './zip.ts';

/** Keys under which training scripts nest the model's state dict beside epochs, optimizer state and so on. */
const STATE_DICT_KEYS = ['state_dict', 'model'];
const MAX_LENGTH = constants.MAX_LENGTH;

/** The record prefix (`archive/`): the directory of the first `data.pkl` at most one level deep. */
function findPrefix(zip: ZipArchive): string {
  const pkl = zip.entries.find((e) => /^([^/]+\/)?data\.pkl$/.test(e.name));
  if (!pkl) fail('BAD_CHECKPOINT', 'zip archive has no data.pkl record: not a torch.save checkpoint', zip.file);
  const prefix = pkl.name.slice(0, -'data.pkl'.length);
  if (zip.byName.has(`${prefix}constants.pkl`) || zip.entries.some((e) => e.name.startsWith(`${prefix}code/`)))
    fail('BAD_CHECKPOINT', 'this is a TorchScript archive (torch.jit.save), not a torch.save checkpoint', zip.file,
      'save the weights with torch.save(model.state_dict(), path)');
  return prefix;
}

function isBigEndian(zip: ZipArchive, prefix: string): boolean {
  const entry = zip.byName.get(`${prefix}byteorder`);
  if (!entry) return false; // older torch versions did not write it, and only saved little-endian
  const order = new TextDecoder().decode(readZipEntry(zip, entry)).trim();
  if (order !== 'little' && order !== 'big') fail('BAD_CHECKPOINT', `byteorder record says ${showValue(order)}, not 'little' or 'big'`, zip.file);
  return order === 'big';
}

/** Storage bytes by key, read from the archive once however many tensors share them. */
class Storages {
  private readonly cache = new Map<string, Uint8Array>();
  private readonly refs = new Map<string, StorageRef>();
  constructor(
    private readonly zip: ZipArchive,
    private readonly prefix: string,
  ) {}

  /** persistent_load: ('storage', torch.XStorage, key, location, numel); the location (cuda:0, cpu) is irrelevant. */
  load(pid: unknown): StorageRef {
    const file = this.zip.file;
    if (!isTuple(pid) || pid.length !== 5 || pid[0] !== 'storage')
      fail('BAD_CHECKPOINT', `persistent id is ${aPyType(pid)}, not ('storage', type, key, location, numel)`, file);
    const [, type, key, , numel] = pid;
    const storageName = type instanceof PyGlobal ? type.name.replace(/^torch\./, '') : '';
    if (!Object.hasOwn(STORAGE_DTYPES, storageName)) fail('BAD_CHECKPOINT', `persistent storage type is ${aPyType(type)}, not a torch storage class`, file);
    const dtype = STORAGE_DTYPES[storageName];
    if (!dtype) fail('BAD_CHECKPOINT', `tensors stored as torch.${storageName} are not supported (float, int and bool tensors are)`, file);
    if (typeof key !== 'string' || typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0)
      fail('BAD_CHECKPOINT', `malformed storage persistent id (key ${String(key)}, numel ${String(numel)})`, file);
    const known = this.refs.get(key);
    if (known && (known.dtype !== dtype || known.numel !== numel))
      fail('BAD_CHECKPOINT', `storage '${key}' is named as both ${known.numel} × ${known.dtype} and ${numel} × ${dtype}`, file);
    const ref = known ?? new StorageRef(key, dtype, numel);
    this.refs.set(key, ref);
    return ref;
  }

  bytes(ref: StorageRef): Uint8Array {
    let data = this.cache.get(ref.key);
    if (!data) {
      const name = `${this.prefix}data/${ref.key}`;
      const entry = this.zip.byName.get(name);
      if (!entry) fail('BAD_CHECKPOINT', `storage record '${name}' is missing from the archive`, this.zip.file);
      data = readZipEntry(this.zip, entry);
      const need = ref.numel * bytesPerElement(ref.dtype);
      if (data.length < need)
        fail('BAD_CHECKPOINT', `storage record '${name}' has ${data.length} bytes, its ${ref.numel} ${ref.dtype} elements need ${need}`, this.zip.file);
      this.cache.set(ref.key, data);
    }
    return data;
  }
}

/** Reverse each element's bytes in place (checkpoints written on big-endian machines). */
function byteswap(bytes: Uint8Array, bpe: number): void {
  for (let o = 0; o < bytes.length; o += bpe) bytes.subarray(o, o + bpe).reverse();
}

/**
 * Copy a strided view into C order. Views that already are C-contiguous (size-1 dimensions' strides do not matter)
 * are returned as a view of the storage record; others are gathered row by row along the last dimension.
 */
function materialise(t: TensorRef, storage: Uint8Array, name: string, file: string, bigEndian: boolean): Tensor {
  const { size, stride, offset } = t;
  const dtype = t.storage.dtype;
  const bpe = bytesPerElement(dtype);
  const n = elementCount(size);
  const shape = [...size];
  if (n === 0) return { dtype, shape, bytes: new Uint8Array(0) };
  const last = offset + size.reduce((acc, d, i) => acc + (d - 1) * stride[i], 0);
  // Stride-0 views can describe far more elements than they store: refuse what cannot be allocated.
  if (n * bpe > MAX_LENGTH) fail('BAD_CHECKPOINT', `tensor '${name}' of size [${shape}] is too large to materialise`, file);
  if (last >= t.storage.numel)
    fail('BAD_CHECKPOINT', `tensor '${name}' (offset ${offset}, size [${shape}], stride [${stride}]) reaches element ${last} of a ${t.storage.numel}-element storage`, file);
  let expected = 1;
  let contiguous = true;
  for (let i = size.length - 1; i >= 0; i--) {
    if (size[i] !== 1 && stride[i] !== expected) contiguous = false;
    expected *= size[i];
  }
  let bytes: Uint8Array;
  if (contiguous) {
    bytes = storage.subarray(offset * bpe, (offset + n) * bpe);
    if (bigEndian) bytes = bytes.slice();
  } else {
    bytes = new Uint8Array(n * bpe);
    const rank = size.length;
    const rowLen = size[rank - 1];
    const rowStride = stride[rank - 1] * bpe;
    const index = new Array<number>(rank).fill(0);
    for (let out = 0; out < bytes.length; ) {
      let src = offset;
      for (let d = 0; d < rank - 1; d++) src += index[d] * stride[d];
      src *= bpe;
      if (rowStride === bpe) {
        bytes.set(storage.subarray(src, src + rowLen * bpe), out);
        out += rowLen * bpe;
      } else {
        for (let j = 0; j < rowLen; j++, src += rowStride) for (let k = 0; k < bpe; k++) bytes[out++] = storage[src + k];
      }
      // Odometer over every dimension but the last.
      for (let d = rank - 2; d >= 0 && ++index[d] === size[d]; d--) index[d] = 0;
    }
  }
  if (bigEndian && bpe > 1) byteswap(bytes, bpe);
  return { dtype, shape, bytes };
}

/** The state dict to take: the top-level dict, or the one it holds under 'state_dict' or 'model'. */
function chooseStateDict(root: unknown, file: string): { dict: PyDict; what: string } {
  if (!(root instanceof PyDict)) fail('BAD_CHECKPOINT', `the checkpoint holds ${aPyType(root)}, not a dict of tensors`, file);
  for (const key of STATE_DICT_KEYS) {
    const v = root.map.get(key);
    if (v instanceof PyDict) return { dict: v, what: `its '${key}' entry` };
  }
  return { dict: root, what: 'its top-level dict' };
}

/**
 * Read a torch.save zip checkpoint's state dict. Pickled code is never run: only allow-listed globals resolve
 * (UNSAFE_CHECKPOINT otherwise). Contiguous tensors' bytes may be views of `bytes` (or the file's buffer).
 */
export function readTorchCheckpoint(file: string, bytes?: Uint8Array): NamedTensors {
  const zip = openZip(readFileOrFail(file, bytes), file);
  const prefix = findPrefix(zip);
  const bigEndian = isBigEndian(zip, prefix);
  const storages = new Storages(zip, prefix);
  const { globals, summary } = torchGlobals(file);
  const root = unpickle(readZipEntry(zip, zip.byName.get(`${prefix}data.pkl`)!), {
    file,
    globals,
    allowedSummary: summary,
    refusalHint: 'a pickled nn.Module or other Python objects cannot be loaded safely; save model.state_dict() instead',
    persistentLoad: (pid) => storages.load(pid),
  });
  const { dict, what } = chooseStateDict(root, file);
  const tensors: NamedTensors = new Map();
  for (const [key, value] of dict.map) {
    if (!(value instanceof TensorRef)) continue; // a state dict may hold non-tensor `_extra_state` entries
    if (typeof key !== 'string') fail('BAD_CHECKPOINT', `a tensor in ${what} has ${aPyType(key)} key, not a name`, file);
    tensors.set(key, materialise(value, storages.bytes(value.storage), key, file, bigEndian));
  }
  if (tensors.size === 0)
    fail('BAD_CHECKPOINT', `no tensors in ${what} (${dict.map.size} entries; keys: ${[...dict.map.keys()].slice(0, 5).map(String).join(', ') || 'none'})`, file);
  return tensors;
}
