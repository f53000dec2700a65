/**
 * Float ViT → standard ONNX graph (default opset 17, IR version 8), exactly the float model contract of
 * `src/float/manifest.ts`, with standard operators only so any ONNX runtime (and Netron) reads it:
 *
 *   input [batch, C, S, S] (already normalised; preprocessing stays outside the graph, recorded in metadata_props)
 *   → Conv (kernel = stride = P) → Reshape [N, D, g²] → Transpose [N, g², D]
 *   → Concat(Expand(cls_token → [N, 1, D]), ·) → Add pos_embed
 *   → blocks (pre- or post-norm; LayerNormalization axis −1; q/k/v split, per-head Reshape/Transpose,
 *     q · 1/√dh, MatMul, Softmax(−1), MatMul v, heads merged, proj; MLP with ReLU or erf GELU 0.5·x·(1 + Erf(x/√2)))
 *   → Gather token 0 → optional LayerNormalization (head_norm) → Gemm (transB) → logits [batch, K]
 *
 * Linear layers inside blocks are MatMul with a transposed weight initializer (`<canonical name>.T`, [in, out]) + Add
 * of the canonical bias; every other initializer keeps its canonical tensor name. Nodes and the values they produce
 * carry readable names (`blocks.3.attn.softmax`), and every intermediate value has a value_info with its shape.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { deferSignals, describeFsError, fail } from '../diag/index.ts';
import { FLOAT_MODEL_FORMAT, expectedTensors, type FloatModel } from '../float/manifest.ts';
import {
  AttributeType,
  DataType,
  encodeModel,
  type AttributeMessage,
  type DimensionMessage,
  type NodeMessage,
  type TensorMessage,
  type ValueInfoMessage,
} from './proto.ts';

export interface OnnxExportOptions {
  /** ONNX opset (default 17, the first with LayerNormalization; up to 22). */
  opset?: number;
  /** producer_name (default `vitpipe`). */
  producer?: string;
}

export const DEFAULT_OPSET = 17;
export const MIN_OPSET = 17;
export const MAX_OPSET = 22;
/** Graph input / output names and the symbolic batch dimension. */
export const ONNX_INPUT = 'input';
export const ONNX_OUTPUT = 'logits';
export const ONNX_BATCH_DIM = 'batch';
/** metadata_props keys the exporter writes. */
export const ONNX_METADATA_KEYS = {
  format: 'vitpipe.format',
  name: 'vitpipe.name',
  /** JSON: the manifest's `input` (resize, crop, interpolation, mean, std) plus layout and formula. */
  inputPipeline: 'vitpipe.input_pipeline',
  /** JSON array of class names, index = logit index. */
  classes: 'vitpipe.classes',
  /** JSON: the whole manifest. */
  manifest: 'vitpipe.manifest',
} as const;

/** ONNX IR version paired with an opset (17–18 → 8, 19–20 → 9, 21–22 → 10). */
function irVersionFor(opset: number): number {
  return opset <= 18 ? 8 : opset <= 20 ? 9 : 10;
}

/** A protobuf message cannot exceed 2 GiB; weights are stored inline (no external data). */
const MAX_INLINE_BYTES = 2 ** 31 - 64 * 2 ** 20;

/** A dimension of a value: fixed, or the symbolic batch size. */
type Dim = number | 'batch';

const littleEndian = endianness() === 'LE';

function floatBytes(data: Float32Array): Uint8Array {
  if (littleEndian) return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i], true);
  return out;
}

function int64Bytes(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
  return out;
}

/** W [rows, cols] row-major → Wᵀ [cols, rows]. */
function transpose2d(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c];
  return out;
}

const attr = {
  int: (name: string, i: number): AttributeMessage => ({ name, type: AttributeType.INT, i }),
  ints: (name: string, ints: number[]): AttributeMessage => ({ name, type: AttributeType.INTS, ints }),
  float: (name: string, f: number): AttributeMessage => ({ name, type: AttributeType.FLOAT, f }),
};

/** Collects nodes, initializers and value infos; every value name is unique in the graph. */
class GraphBuilder {
  readonly nodes: NodeMessage[] = [];
  readonly initializers: TensorMessage[] = [];
  readonly valueInfo: ValueInfoMessage[] = [];
  private readonly names = new Set<string>();
  inlineBytes = 0;

  claim(name: string): string {
    if (this.names.has(name)) fail('BAD_MODEL', `ONNX value name used twice: ${name}`, name);
    this.names.add(name);
    return name;
  }

  floatInit(name: string, dims: number[], data: Float32Array): string {
    const rawData = floatBytes(data);
    this.inlineBytes += rawData.length;
    this.initializers.push({ name: this.claim(name), dims, dataType: DataType.FLOAT, rawData });
    return name;
  }

  int64Init(name: string, dims: number[], values: number[]): string {
    this.initializers.push({ name: this.claim(name), dims, dataType: DataType.INT64, rawData: int64Bytes(values) });
    return name;
  }

  /** One node named `name` whose single output value is also called `output ?? name`, of float32 shape `shape`. */
  node(opType: string, name: string, input: string[], shape: Dim[], attribute: AttributeMessage[] = [], output = name, elemType: number = DataType.FLOAT): string {
    this.nodes.push({ name, opType, input, output: [this.claim(output)], attribute });
    this.valueInfo.push(valueInfo(output, elemType, shape));
    return output;
  }

  /** A node with several outputs (all float32 of the same shape). */
  multi(opType: string, name: string, input: string[], outputs: string[], shape: Dim[], attribute: AttributeMessage[] = []): string[] {
    this.nodes.push({ name, opType, input, output: outputs.map((o) => this.claim(o)), attribute });
    for (const o of outputs) this.valueInfo.push(valueInfo(o, DataType.FLOAT, shape));
    return outputs;
  }
}

function valueInfo(name: string, elemType: number, shape: Dim[], docString?: string): ValueInfoMessage {
  const dim: DimensionMessage[] = shape.map((d) => (d === 'batch' ? { dimParam: ONNX_BATCH_DIM } : { dimValue: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } }, ...(docString ? { docString } : {}) };
}

let packageVersion: string | undefined;
function producerVersion(): string {
  if (packageVersion === undefined) {
    try {
      packageVersion = String(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version ?? '');
    } catch {
      packageVersion = '';
    }
  }
  return packageVersion;
}

/** Check the model is complete and self-consistent; returns its tensors by canonical name. */
function checkModel(model: FloatModel): (name: string) => Float32Array {
  const m = model.manifest;
  const where = m?.name ?? 'float model';
  const g = m.geometry;
  if (g.imageSize % g.patchSize !== 0)
    fail('BAD_MODEL', `imageSize ${g.imageSize} is not a multiple of patchSize ${g.patchSize}`, `${where}: geometry`);
  const grid = g.imageSize / g.patchSize;
  if (g.tokens !== 1 + grid * grid)
    fail('BAD_MODEL', `tokens is ${g.tokens}, expected 1 + (${g.imageSize}/${g.patchSize})² = ${1 + grid * grid}`, `${where}: geometry.tokens`);
  if (g.width % g.heads !== 0) fail('BAD_MODEL', `width ${g.width} is not a multiple of heads ${g.heads}`, `${where}: geometry`);
  for (const { name, shape } of expectedTensors(m)) {
    const t = model.tensors.get(name);
    const size = shape.reduce((a, b) => a * b, 1);
    if (!t) fail('BAD_MODEL', `tensor ${name} [${shape.join(', ')}] is missing`, `${where}: ${name}`);
    if (!(t instanceof Float32Array)) fail('BAD_MODEL', `tensor ${name} is not a Float32Array`, `${where}: ${name}`);
    if (t.length !== size)
      fail('BAD_MODEL', `tensor ${name} has ${t.length} elements, shape [${shape.join(', ')}] needs ${size}`, `${where}: ${name}`);
  }
  return (name) => model.tensors.get(name)!;
}

/** Serialise a float ViT as an ONNX ModelProto. Throws VitpipeError (BAD_MODEL, BAD_ARGUMENT). */
export function exportOnnx(model: FloatModel, opts: OnnxExportOptions = {}): Uint8Array {
  const opset = opts.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET)
    fail('BAD_ARGUMENT', `opset ${opset} is not supported (${MIN_OPSET}–${MAX_OPSET}; LayerNormalization needs 17)`, 'opset');
  const tensor = checkModel(model);
  const m = model.manifest;
  const { inChannels: C, imageSize: S, patchSize: P, width: D, depth, heads, mlpHidden: H, numClasses: K, tokens: T } = m.geometry;
  const grid = S / P;
  const dh = D / heads;
  const N = 'batch' as const;
  const b = new GraphBuilder();
  b.claim(ONNX_INPUT);

  // Shared constants.
  const flattenShape = b.int64Init('const.patch_flatten_shape', [3], [0, D, -1]);
  const clsTail = b.int64Init('const.cls_shape_tail', [2], [1, D]);
  const qkvSplit = b.int64Init('const.qkv_split', [3], [D, D, D]);
  const headsShape = b.int64Init('const.heads_shape', [4], [0, 0, heads, dh]);
  const mergeShape = b.int64Init('const.merge_shape', [3], [0, 0, D]);
  const token0 = b.int64Init('const.token0', [], [0]);
  const qScale = b.floatInit('const.q_scale', [], Float32Array.of(1 / Math.sqrt(dh)));
  const geluConsts = m.block.activation === 'gelu'
    ? {
        sqrt2: b.floatInit('const.sqrt2', [], Float32Array.of(Math.SQRT2)),
        one: b.floatInit('const.one', [], Float32Array.of(1)),
        half: b.floatInit('const.half', [], Float32Array.of(0.5)),
      }
    : undefined;

  const init = (name: string, dims: number[]) => b.floatInit(name, dims, tensor(name));
  const initT = (name: string, rows: number, cols: number) =>
    b.floatInit(`${name}.T`, [cols, rows], transpose2d(tensor(name), rows, cols));

  /** y = x·Wᵀ + bias for W [out, inp], as MatMul(x, Wᵀ) + Add. */
  const linear = (x: string, prefix: string, out: number, inp: number, lead: Dim[]): string => {
    const w = initT(`${prefix}.weight`, out, inp);
    const bias = init(`${prefix}.bias`, [out]);
    const mm = b.node('MatMul', `${prefix}.matmul`, [x, w], [...lead, out]);
    return b.node('Add', `${prefix}.add`, [mm, bias], [...lead, out]);
  };
  const layerNorm = (x: string, prefix: string, eps: number, shape: Dim[]): string =>
    b.node('LayerNormalization', prefix, [x, init(`${prefix}.weight`, [D]), init(`${prefix}.bias`, [D])], shape, [
      attr.int('axis', -1),
      attr.float('epsilon', eps),
    ]);

  // Patch embedding and tokens.
  const conv = b.node(
    'Conv',
    'patch_embed.conv',
    [ONNX_INPUT, init('patch_embed.weight', [D, C, P, P]), init('patch_embed.bias', [D])],
    [N, D, grid, grid],
    [attr.ints('kernel_shape', [P, P]), attr.ints('strides', [P, P]), attr.ints('pads', [0, 0, 0, 0]), attr.ints('dilations', [1, 1]), attr.int('group', 1)],
  );
  const flat = b.node('Reshape', 'patch_embed.flatten', [conv, flattenShape], [N, D, grid * grid]);
  const patches = b.node('Transpose', 'patch_embed.transpose', [flat], [N, grid * grid, D], [attr.ints('perm', [0, 2, 1])]);
  const batch = b.node('Shape', 'cls_token.batch', [ONNX_INPUT], [1], [attr.int('start', 0), attr.int('end', 1)], undefined, DataType.INT64);
  const clsShape = b.node('Concat', 'cls_token.shape', [batch, clsTail], [3], [attr.int('axis', 0)], undefined, DataType.INT64);
  const cls = b.node('Expand', 'cls_token.expand', [b.floatInit('cls_token', [1, 1, D], tensor('cls_token')), clsShape], [N, 1, D]);
  const tokens = b.node('Concat', 'tokens.concat', [cls, patches], [N, T, D], [attr.int('axis', 1)]);
  let x = b.node('Add', 'pos_embed.add', [tokens, init('pos_embed', [T, D])], [N, T, D]);

  const act = (h: string, prefix: string): string => {
    const shape = [N, T, H];
    if (!geluConsts) return b.node('Relu', `${prefix}.relu`, [h], shape);
    const div = b.node('Div', `${prefix}.gelu.div`, [h, geluConsts.sqrt2], shape);
    const erf = b.node('Erf', `${prefix}.gelu.erf`, [div], shape);
    const plus = b.node('Add', `${prefix}.gelu.add`, [erf, geluConsts.one], shape);
    const mul = b.node('Mul', `${prefix}.gelu.mul`, [h, plus], shape);
    return b.node('Mul', `${prefix}.gelu`, [mul, geluConsts.half], shape);
  };

  const attention = (h: string, prefix: string): string => {
    const qkv = linear(h, `${prefix}.qkv`, 3 * D, D, [N, T]);
    const [q, k, v] = b.multi('Split', `${prefix}.split`, [qkv, qkvSplit], [`${prefix}.q`, `${prefix}.k`, `${prefix}.v`], [N, T, D], [
      attr.int('axis', -1),
    ]);
    const toHeads = (t: string, name: string, perm: number[], shape: Dim[]) =>
      b.node('Transpose', `${prefix}.${name}.transpose`, [b.node('Reshape', `${prefix}.${name}.heads`, [t, headsShape], [N, T, heads, dh])], shape, [
        attr.ints('perm', perm),
      ]);
    const qh = b.node('Mul', `${prefix}.q.scale`, [toHeads(q, 'q', [0, 2, 1, 3], [N, heads, T, dh]), qScale], [N, heads, T, dh]);
    const kt = toHeads(k, 'k', [0, 2, 3, 1], [N, heads, dh, T]);
    const vh = toHeads(v, 'v', [0, 2, 1, 3], [N, heads, T, dh]);
    const scores = b.node('MatMul', `${prefix}.scores`, [qh, kt], [N, heads, T, T]);
    const probs = b.node('Softmax', `${prefix}.softmax`, [scores], [N, heads, T, T], [attr.int('axis', -1)]);
    const ctx = b.node('MatMul', `${prefix}.context`, [probs, vh], [N, heads, T, dh]);
    const ctxT = b.node('Transpose', `${prefix}.merge.transpose`, [ctx], [N, T, heads, dh], [attr.ints('perm', [0, 2, 1, 3])]);
    const merged = b.node('Reshape', `${prefix}.merge`, [ctxT, mergeShape], [N, T, D]);
    return linear(merged, `${prefix}.proj`, D, D, [N, T]);
  };
  const mlp = (h: string, prefix: string): string =>
    linear(act(linear(h, `${prefix}.fc1`, H, D, [N, T]), prefix), `${prefix}.fc2`, D, H, [N, T]);

  const { norm, eps } = m.block;
  for (let i = 0; i < depth; i++) {
    const p = `blocks.${i}`;
    if (norm === 'pre') {
      x = b.node('Add', `${p}.residual1`, [x, attention(layerNorm(x, `${p}.norm1`, eps, [N, T, D]), `${p}.attn`)], [N, T, D]);
      x = b.node('Add', `${p}.residual2`, [x, mlp(layerNorm(x, `${p}.norm2`, eps, [N, T, D]), `${p}.mlp`)], [N, T, D]);
    } else {
      x = layerNorm(b.node('Add', `${p}.residual1`, [x, attention(x, `${p}.attn`)], [N, T, D]), `${p}.norm1`, eps, [N, T, D]);
      x = layerNorm(b.node('Add', `${p}.residual2`, [x, mlp(x, `${p}.mlp`)], [N, T, D]), `${p}.norm2`, eps, [N, T, D]);
    }
  }

  // Head: CLS row → optional LayerNorm → Gemm(x, Wᵀ) + b.
  let h = b.node('Gather', 'head.cls', [x, token0], [N, D], [attr.int('axis', 1)]);
  if (m.head.norm) h = layerNorm(h, 'head_norm', m.head.eps, [N, D]);
  b.node('Gemm', 'head', [h, init('head.weight', [K, D]), init('head.bias', [K])], [N, K], [attr.int('transB', 1)], ONNX_OUTPUT);

  if (b.inlineBytes > MAX_INLINE_BYTES)
    fail('BAD_MODEL', `${(b.inlineBytes / 2 ** 30).toFixed(2)} GiB of weights do not fit one ONNX protobuf (2 GiB limit)`, m.name);

  const { mean, std, resize, crop, interpolation } = m.input;
  const pipeline = {
    ...m.input,
    layout: `NCHW, ${C} channels (RGB), float32`,
    formula: 'x = (v / 255 - mean_c) / std_c',
    steps: `decode to RGB; ${interpolation === 'none' ? `no resize (the photo must already be ${crop}×${crop})` : `resize the shorter side to ${resize} (${interpolation})`}; centre-crop ${crop}×${crop}; x = (v/255 − mean_c)/std_c`,
  };
  const inputDoc = `Image batch [batch, ${C}, ${S}, ${S}] float32, already normalised: x = (v/255 − mean_c)/std_c, mean ${JSON.stringify(mean)}, std ${JSON.stringify(std)}.`;
  const outputDoc = `Class logits [batch, ${K}]${m.classes.length === K ? ' (names in metadata_props vitpipe.classes)' : ''}.`;
  const inputs = [valueInfo(ONNX_INPUT, DataType.FLOAT, [N, C, S, S], inputDoc)];
  const outputInfo = b.valueInfo.find((v) => v.name === ONNX_OUTPUT)!;
  const valueInfos = b.valueInfo.filter((v) => v.name !== ONNX_OUTPUT);

  return encodeModel({
    irVersion: irVersionFor(opset),
    opsetImport: [{ domain: '', version: opset }],
    producerName: opts.producer ?? 'vitpipe',
    producerVersion: producerVersion(),
    docString: `${m.name}: ViT (${m.geometry.depth} × ${m.block.norm}-norm ${m.block.activation} blocks, width ${D}, ${heads} heads) exported from a ${FLOAT_MODEL_FORMAT} folder.`,
    graph: {
      name: m.name,
      node: b.nodes,
      initializer: b.initializers,
      input: inputs,
      output: [{ ...outputInfo, docString: outputDoc }],
      valueInfo: valueInfos,
    },
    metadataProps: [
      { key: ONNX_METADATA_KEYS.format, value: FLOAT_MODEL_FORMAT },
      { key: ONNX_METADATA_KEYS.name, value: m.name },
      { key: ONNX_METADATA_KEYS.inputPipeline, value: JSON.stringify(pipeline) },
      { key: ONNX_METADATA_KEYS.classes, value: JSON.stringify(m.classes) },
      { key: ONNX_METADATA_KEYS.manifest, value: JSON.stringify(m) },
    ],
  });
}

/**
 * Export to `file` atomically: the bytes go to a temporary file beside it, which is renamed over `file` only once
 * complete, so a failure (bad model, full disk) never leaves a partial or stale-looking file. Throws IO_ERROR.
 */
export function exportOnnxFile(model: FloatModel, file: string, opts: OnnxExportOptions = {}): void {
  const bytes = exportOnnx(model, opts);
  const tmp = join(dirname(file), `.tmp-${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}`);
  deferSignals(() => {
    let created: string | undefined;
    try {
      created = mkdirSync(dirname(file), { recursive: true });
      const fd = openSync(tmp, 'wx');
      try {
        writeFileSync(fd, bytes);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, file);
    } catch (e) {
      if (existsSync(tmp)) rmSync(tmp, { force: true });
      if (created) rmSync(created, { recursive: true, force: true });
      fail('IO_ERROR', `cannot write ONNX model: ${describeFsError(e)}`, file);
    }
  });
}
