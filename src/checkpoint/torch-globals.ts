/**
 * The globals a torch.save pickle may name, each a handler that builds plain data: containers, storage references
 * and tensor views (storage, offset, size, stride) that torch.ts materialises later. This list is the whole of what
 * a checkpoint can make the unpickler do.
 */
import { fail } from '../diag/index.ts';
import { PyDict, PySet, aPyType, isTuple, pyTypeName, type GlobalHandler } from './pickle-values.ts';
import type { DType } from './tensor.ts';

/** torch.<X>Storage → element type; null = a real torch storage type vitpipe has no dtype for. */
export const STORAGE_DTYPES: Record<string, DType | null> = {
  FloatStorage: 'F32', DoubleStorage: 'F64', HalfStorage: 'F16', BFloat16Storage: 'BF16', LongStorage: 'I64',
  IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
  // Untyped storages count bytes.
  UntypedStorage: 'U8',
  ComplexFloatStorage: null, ComplexDoubleStorage: null, QInt8Storage: null, QUInt8Storage: null, QInt32Storage: null,
  QUInt4x2Storage: null, QUInt2x4Storage: null, Float8_e4m3fnStorage: null, Float8_e5m2Storage: null,
  UInt16Storage: null, UInt32Storage: null, UInt64Storage: null,
};

/** torch.<dtype> globals: newer pickles name dtypes directly (tensor metadata); they are only ever values here. */
const TORCH_DTYPE_NAMES = ['float32', 'float', 'float64', 'double', 'float16', 'half', 'bfloat16', 'int64', 'long', 'int32', 'int', 'int16', 'short', 'int8', 'uint8', 'bool'];

/** A storage as a persistent id names it: its archive record `data/<key>` holds `numel` elements of `dtype`. */
export class StorageRef {
  readonly pyType = 'torch storage';
  constructor(
    readonly key: string,
    readonly dtype: DType,
    readonly numel: number,
  ) {}
}

/** What _rebuild_tensor_v2 describes: a strided view of a storage. Materialised only if it is in the chosen state dict. */
export class TensorRef {
  readonly pyType = 'torch.Tensor';
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly size: readonly number[],
    readonly stride: readonly number[],
  ) {}
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function intTuple(v: unknown, what: 'size' | 'stride', where: string): number[] {
  if (!isTuple(v) || !v.every(isCount)) fail('BAD_CHECKPOINT', `_rebuild_tensor_v2: ${what} is ${aPyType(v)}, not a tuple of non-negative ints`, where);
  return v as number[];
}

function rebuildTensor(args: readonly unknown[], where: string): TensorRef {
  const [storage, offset, size, stride] = args;
  if (args.length < 6 || args.length > 7) fail('BAD_CHECKPOINT', `_rebuild_tensor_v2 takes 6 or 7 arguments, got ${args.length}`, where);
  if (!(storage instanceof StorageRef)) fail('BAD_CHECKPOINT', `_rebuild_tensor_v2: storage is ${aPyType(storage)}, not a persistent storage`, where);
  if (!isCount(offset)) fail('BAD_CHECKPOINT', `_rebuild_tensor_v2: storage offset ${String(offset)} is not a non-negative int`, where);
  const sizes = intTuple(size, 'size', where);
  const strides = intTuple(stride, 'stride', where);
  if (sizes.length !== strides.length) fail('BAD_CHECKPOINT', `_rebuild_tensor_v2: size (${sizes}) and stride (${strides}) differ in length`, where);
  return new TensorRef(storage, offset, sizes, strides);
}

function parameterData(args: readonly unknown[], n: number, name: string, where: string): TensorRef {
  if (args.length !== n || !(args[0] instanceof TensorRef)) fail('BAD_CHECKPOINT', `${name} expects a tensor and ${n - 1} more arguments`, where);
  return args[0];
}

/** OrderedDict(), OrderedDict([(k, v), …]); BUILD keeps its `_metadata` state aside. */
function orderedDict(where: string): GlobalHandler {
  return {
    call(args) {
      const d = new PyDict();
      if (args.length > 1) fail('BAD_CHECKPOINT', `OrderedDict takes at most one argument, got ${args.length}`, where);
      if (args.length === 1) {
        if (!Array.isArray(args[0])) fail('BAD_CHECKPOINT', `OrderedDict of ${aPyType(args[0])}`, where);
        for (const pair of args[0]) {
          if (!Array.isArray(pair) || pair.length !== 2) fail('BAD_CHECKPOINT', 'OrderedDict item is not a (key, value) pair', where);
          d.map.set(pair[0], pair[1]);
        }
      }
      return d;
    },
    build(obj, state) {
      (obj as PyDict).state = state;
      return obj;
    },
  };
}

function makeSet(frozen: boolean, where: string): GlobalHandler {
  return {
    call(args) {
      const s = new PySet(frozen);
      const items = args[0] ?? [];
      if (!Array.isArray(items) || args.length > 1) fail('BAD_CHECKPOINT', `set of ${aPyType(items)}`, where);
      for (const v of items) s.items.add(v);
      return s;
    },
  };
}

/** Protocol 2 writes bytes as _codecs.encode(text, 'latin1'): pure data, so emulate exactly that case. */
function codecsEncode(where: string): GlobalHandler {
  return {
    call([text, encoding]) {
      if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1'))
        fail('BAD_CHECKPOINT', `_codecs.encode is only supported for (str, 'latin1'), got (${pyTypeName(text)}, ${String(encoding)})`, where);
      return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
    },
  };
}

/** The allow-list for torch.save pickles, and a one-line summary for the refusal message. */
export function torchGlobals(where: string): { globals: Map<string, GlobalHandler>; summary: string } {
  const globals = new Map<string, GlobalHandler>([
    ['collections.OrderedDict', orderedDict(where)],
    ['torch._utils._rebuild_tensor_v2', { call: (args) => rebuildTensor(args, where) }],
    ['torch._utils._rebuild_parameter', { call: (args) => parameterData(args, 3, '_rebuild_parameter', where) }],
    ['torch._utils._rebuild_parameter_with_state', { call: (args) => parameterData(args, 4, '_rebuild_parameter_with_state', where) }],
    ['builtins.set', makeSet(false, where)],
    ['builtins.frozenset', makeSet(true, where)],
    ['_codecs.encode', codecsEncode(where)],
  ]);
  const summary = [...globals.keys(), 'torch.*Storage', 'torch dtypes such as torch.float32'].join(', ');
  // Storage classes and dtypes are values only: nothing can call them.
  for (const name of Object.keys(STORAGE_DTYPES)) globals.set(`torch.${name}`, {});
  for (const name of TORCH_DTYPE_NAMES) globals.set(`torch.${name}`, {});
  return { globals, summary };
}
