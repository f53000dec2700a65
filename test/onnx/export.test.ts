import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isVitpipeError } from '../../src/diag/index.ts';
import { expectedTensors, type FloatModel } from '../../src/float/manifest.ts';
import { decodeModel, exportOnnx, exportOnnxFile, ONNX_METADATA_KEYS } from '../../src/onnx/index.ts';
import { erf, tinyModel, type TinyOptions } from './reference-forward.ts';

const dir = mkdtempSync(join(tmpdir(), 'vitpipe-onnx-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const VARIANTS: TinyOptions[] = [
  { norm: 'post', activation: 'relu', headNorm: true, seed: 11 },
  { norm: 'pre', activation: 'gelu', headNorm: true, seed: 12 },
  { norm: 'pre', activation: 'relu', headNorm: false, seed: 13 },
];

const STANDARD_OPS = new Set([
  'Add', 'Concat', 'Conv', 'Div', 'Erf', 'Expand', 'Gather', 'Gemm', 'LayerNormalization', 'MatMul', 'Mul', 'Relu',
  'Reshape', 'Shape', 'Softmax', 'Split', 'Transpose',
]);

const dims = (vi: any): (number | string)[] => vi.type.tensorType.shape.dim.map((d: any) => d.dimParam ?? d.dimValue ?? 0);
const f32 = (raw: Uint8Array) => new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
const attrOf = (node: any, name: string) => (node.attribute ?? []).find((a: any) => a.name === name);

const expectVitpipeError = (code: string) => (e: unknown) => {
  assert.ok(isVitpipeError(e), `expected VitpipeError, got ${e}`);
  assert.equal(e.diagnostic.code, code);
  return true;
};

test('erf (test reference) matches known values', () => {
  const known: [number, number][] = [
    [0, 0], [0.1, 0.1124629160182849], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527],
    [2.5, 0.9995930479825550], [3, 0.9999779095030014], [-1.5, -0.9661051464753108], [5, 0.9999999999984626],
  ];
  for (const [x, v] of known) assert.ok(Math.abs(erf(x) - v) < 1e-14, `erf(${x}) = ${erf(x)}, want ${v}`);
});

for (const v of VARIANTS) {
  test(`${v.norm}-norm ${v.activation}${v.headNorm ? ' + head norm' : ''}: bytes decode to the expected graph`, () => {
    const model = tinyModel(v);
    const m = model.manifest;
    const { width: D, depth, numClasses: K } = m.geometry;
    const bytes = exportOnnx(model);
    assert.deepEqual(exportOnnx(model), bytes, 'export is deterministic');
    const onnx = decodeModel(bytes);

    assert.equal(onnx.irVersion, 8);
    assert.deepEqual(onnx.opsetImport, [{ domain: '', version: 17 }]);
    assert.equal(onnx.producerName, 'vitpipe');
    const g = onnx.graph;
    assert.equal(g.name, m.name);
    assert.equal(g.input.length, 1);
    assert.equal(g.input[0].name, 'input');
    assert.equal(g.input[0].type.tensorType.elemType, 1);
    assert.deepEqual(dims(g.input[0]), ['batch', 3, 8, 8]);
    assert.equal(g.output.length, 1);
    assert.equal(g.output[0].name, 'logits');
    assert.equal(g.output[0].type.tensorType.elemType, 1);
    assert.deepEqual(dims(g.output[0]), ['batch', K]);

    // Every canonical tensor is an initializer: under its own name, or transposed as `<name>.T` for MatMul.
    const inits = new Map<string, any>(g.initializer.map((t: any) => [t.name, t]));
    for (const { name, shape } of expectedTensors(m)) {
      const want = model.tensors.get(name)!;
      const plain = inits.get(name);
      const transposed = inits.get(`${name}.T`);
      assert.ok(plain || transposed, `initializer for ${name}`);
      const t = plain ?? transposed;
      assert.equal(t.dataType, 1, name);
      const got = f32(t.rawData);
      assert.equal(got.length, want.length, name);
      if (plain) {
        if (name === 'cls_token') assert.deepEqual(t.dims, [1, 1, D]);
        else assert.deepEqual(t.dims, shape, name);
        assert.deepEqual(got, want, name);
      } else {
        const [rows, cols] = shape;
        assert.deepEqual(t.dims, [cols, rows], name);
        for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) assert.equal(got[c * rows + r], want[r * cols + c], name);
      }
    }

    // Standard ops only, default domain, unique readable names, topologically sorted.
    const defined = new Set<string>(['input', ...inits.keys()]);
    const names = new Set<string>();
    for (const n of g.node) {
      assert.ok(STANDARD_OPS.has(n.opType), `op ${n.opType}`);
      assert.ok(!n.domain, `${n.name} domain`);
      assert.ok(n.name && !names.has(n.name), `node name ${n.name}`);
      names.add(n.name);
      for (const i of n.input) assert.ok(defined.has(i), `${n.name} reads ${i} before it is defined`);
      for (const o of n.output) {
        assert.ok(!defined.has(o), `${o} defined twice`);
        defined.add(o);
      }
    }
    assert.ok(defined.has('logits'));
    const count = (op: string) => g.node.filter((n: any) => n.opType === op).length;
    assert.equal(count('Softmax'), depth);
    assert.equal(count('LayerNormalization'), 2 * depth + (m.head.norm ? 1 : 0));
    assert.equal(count('Erf'), v.activation === 'gelu' ? depth : 0);
    assert.equal(count('Relu'), v.activation === 'relu' ? depth : 0);
    assert.equal(count('Conv'), 1);
    assert.ok(names.has('blocks.1.attn.softmax') && names.has('patch_embed.conv') && names.has('head'));
    const byName = new Map<string, any>(g.node.map((n: any) => [n.name, n]));
    const softmax = byName.get('blocks.0.attn.softmax');
    assert.equal(attrOf(softmax, 'axis').i, -1);
    for (const n of g.node.filter((n: any) => n.opType === 'LayerNormalization')) {
      assert.equal(attrOf(n, 'axis').i, -1);
      assert.equal(attrOf(n, 'epsilon').f, Math.fround(n.name === 'head_norm' ? m.head.eps : m.block.eps));
    }
    // Pre-norm normalises the block input; post-norm normalises the residual sum.
    assert.deepEqual(byName.get('blocks.0.norm1').input[0], v.norm === 'pre' ? 'pos_embed.add' : 'blocks.0.residual1');
    assert.equal(f32(inits.get('const.q_scale').rawData)[0], Math.fround(1 / Math.sqrt(D / m.geometry.heads)));
    assert.equal(byName.get('blocks.0.attn.q.scale').opType, 'Mul');
    assert.equal(attrOf(byName.get('head'), 'transB').i, 1);
    // proto2 presence, as onnx.proto: zero-valued attributes are written, not dropped.
    assert.equal(attrOf(byName.get('cls_token.batch'), 'start').i, 0);
    assert.equal(attrOf(byName.get('cls_token.shape'), 'axis').i, 0);

    // Every intermediate value carries its shape (Netron shows it on the edges).
    const infos = new Map<string, any>(g.valueInfo.map((vi: any) => [vi.name, vi]));
    assert.deepEqual(dims(infos.get('blocks.0.attn.scores')), ['batch', 2, 5, 5]);
    assert.deepEqual(dims(infos.get('tokens.concat')), ['batch', 5, D]);
    for (const n of g.node) for (const o of n.output) assert.ok(o === 'logits' || infos.has(o), `value_info for ${o}`);

    const meta = new Map<string, string>(onnx.metadataProps.map((p: any) => [p.key, p.value]));
    assert.deepEqual(JSON.parse(meta.get(ONNX_METADATA_KEYS.classes)!), m.classes);
    const pipeline = JSON.parse(meta.get(ONNX_METADATA_KEYS.inputPipeline)!);
    for (const k of ['resize', 'crop', 'interpolation', 'mean', 'std'] as const) assert.deepEqual(pipeline[k], m.input[k]);
    assert.deepEqual(JSON.parse(meta.get(ONNX_METADATA_KEYS.manifest)!), m);
    assert.equal(meta.get(ONNX_METADATA_KEYS.name), m.name);
  });
}

test('opset option: 18–22 accepted with the matching IR version, 16 and 23 refused', () => {
  const model = tinyModel(VARIANTS[1]);
  for (const [opset, ir] of [[18, 8], [19, 9], [21, 10]]) {
    const onnx = decodeModel(exportOnnx(model, { opset, producer: 'someone' }));
    assert.deepEqual(onnx.opsetImport, [{ domain: '', version: opset }]);
    assert.equal(onnx.irVersion, ir);
    assert.equal(onnx.producerName, 'someone');
  }
  assert.throws(() => exportOnnx(model, { opset: 16 }), expectVitpipeError('BAD_ARGUMENT'));
  assert.throws(() => exportOnnx(model, { opset: 23 }), expectVitpipeError('BAD_ARGUMENT'));
});

test('incomplete or inconsistent models are refused with BAD_MODEL naming the tensor', () => {
  const good = tinyModel(VARIANTS[0]);
  const without = (name: string): FloatModel => {
    const tensors = new Map(good.tensors);
    tensors.delete(name);
    return { manifest: good.manifest, tensors };
  };
  assert.throws(() => exportOnnx(without('blocks.1.mlp.fc2.bias')), (e: unknown) => {
    expectVitpipeError('BAD_MODEL')(e);
    assert.match((e as Error).message, /blocks\.1\.mlp\.fc2\.bias/);
    return true;
  });
  const short = new Map(good.tensors);
  short.set('pos_embed', new Float32Array(3));
  assert.throws(() => exportOnnx({ manifest: good.manifest, tensors: short }), /pos_embed has 3 elements/);
  const badTokens = { ...good.manifest, geometry: { ...good.manifest.geometry, tokens: 17 } };
  assert.throws(() => exportOnnx({ manifest: badTokens, tensors: good.tensors }), expectVitpipeError('BAD_MODEL'));
  const badHeads = { ...good.manifest, geometry: { ...good.manifest.geometry, heads: 3 } };
  assert.throws(() => exportOnnx({ manifest: badHeads, tensors: good.tensors }), expectVitpipeError('BAD_MODEL'));
});

test('exportOnnxFile writes atomically and leaves nothing behind on failure', () => {
  const model = tinyModel(VARIANTS[0]);
  const sub = mkdtempSync(join(dir, 'file-'));
  const file = join(sub, 'model.onnx');
  writeFileSync(file, 'old contents');
  exportOnnxFile(model, file);
  assert.deepEqual(new Uint8Array(readFileSync(file)), exportOnnx(model));
  assert.deepEqual(readdirSync(sub), ['model.onnx']);

  // A bad model: the existing file is untouched, no temporary is left.
  const tensors = new Map(model.tensors);
  tensors.delete('head.weight');
  assert.throws(() => exportOnnxFile({ manifest: model.manifest, tensors }, file), expectVitpipeError('BAD_MODEL'));
  assert.deepEqual(new Uint8Array(readFileSync(file)), exportOnnx(model));
  assert.deepEqual(readdirSync(sub), ['model.onnx']);

  // Missing folders are created; a path under a file cannot be written: IO_ERROR naming the file, nothing created.
  exportOnnxFile(model, join(sub, 'new', 'deeper', 'model.onnx'));
  assert.ok(existsSync(join(sub, 'new', 'deeper', 'model.onnx')));
  rmSync(join(sub, 'new'), { recursive: true });
  const missing = join(sub, 'model.onnx', 'model.onnx');
  assert.throws(() => exportOnnxFile(model, missing), (e: unknown) => {
    expectVitpipeError('IO_ERROR')(e);
    assert.equal((e as any).diagnostic.where, missing);
    return true;
  });
  // Renaming onto a directory fails after the temporary was written: the temporary is removed again.
  const dirTarget = join(sub, 'is-a-dir.onnx');
  mkdirSync(dirTarget);
  writeFileSync(join(dirTarget, 'keep'), '');
  assert.throws(() => exportOnnxFile(model, dirTarget), expectVitpipeError('IO_ERROR'));
  assert.deepEqual(readdirSync(sub).sort(), ['is-a-dir.onnx', 'model.onnx']);
  assert.deepEqual(readdirSync(dirTarget), ['keep']);
});
