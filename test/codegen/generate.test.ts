import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CodeWriter, EMITTERS, NameScope, cInt, generateProject, writeProject } from '../../src/codegen/index.ts';
import {
  HGPIPE_ATTN, HGPIPE_HEAD, HGPIPE_MLP, HGPIPE_PATCH_EMBED, PROCESS_KINDS, designToJson, hgpipeDeitTiny, parseDesign,
} from '../../src/ir/index.ts';
import { assembleDesign } from '../../src/plan/index.ts';
import { MODEL_ZOO } from '../../src/model/index.ts';
import { loadHardwareTypes, loadWeights, type ModelWeights } from '../../src/refs/index.ts';
import { REFS_DIR, SKIP_NO_REFS, TYPES_FILE } from '../shared.ts';

const HAVE_GXX = spawnSync('g++', ['--version']).status === 0 && spawnSync('make', ['--version']).status === 0;
const SKIP_NO_GXX = SKIP_NO_REFS || (HAVE_GXX ? false : 'needs g++ and make to build the generated C simulation; skipped');
const tmp: string[] = [];
after(() => tmp.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('code writer', () => {
  test('indents blocks, keeps pragmas at column 0, and hands out unique C names', () => {
    const w = new CodeWriter();
    w.block('void f()', () => {
      w.pragma('DATAFLOW');
      w.block('for (int i = 0; i < 2; i++)', () => w.line('g(i);'));
    });
    assert.equal(w.toString(), 'void f() {\n#pragma HLS DATAFLOW\n  for (int i = 0; i < 2; i++) {\n    g(i);\n  }\n}\n');
    const names = new NameScope();
    assert.deepEqual([names.fresh('q.adpt'), names.fresh('q_adpt'), names.fresh('0x')], ['q_adpt', 'q_adpt_2', '_0x']);
    assert.equal(cInt(-3), '-3');
    assert.equal(cInt(99999999999), '99999999999LL');
  });

  test('every IR process kind has a C++ emitter', () => {
    assert.deepEqual(Object.keys(EMITTERS).sort(), [...PROCESS_KINDS].sort());
  });
});

describe('generated project structure', { skip: SKIP_NO_REFS }, () => {
  let weights: ModelWeights;
  test('MLP0 of hgpipe-deit-tiny mirrors the IR: one function per process, every stream with its IR depth', () => {
    weights = loadWeights(REFS_DIR, MODEL_ZOO['hgpipe-deit-tiny']);
    const design = hgpipeDeitTiny();
    const p = generateProject({ design, weightsDir: REFS_DIR, types: loadHardwareTypes(TYPES_FILE), blocks: ['MLP0'], weights });
    const file = (path: string) => p.files.find((f) => f.path === path)?.content ?? assert.fail(`no ${path}`);
    const src = file('src/mlp0.cpp');
    const block = design.blocks.find((b) => b.name === 'MLP0')!;
    assert.match(src, /#pragma HLS DATAFLOW/);
    for (const s of block.streams.filter((s) => s.name !== 'in' && s.name !== 'out')) {
      const v = s.name.replace(/[^A-Za-z0-9_]/g, '_');
      assert.match(src, new RegExp(`#pragma HLS STREAM variable=${v} depth=${s.depth}\\n`), `stream ${s.name}`);
    }
    for (const proc of block.processes) assert.match(src, new RegExp(`// ${proc.name.replace('.', '\\.')} \\(${proc.kind}, `), proc.name);
    assert.match(src, /\/\/ 56449 cycles per image when never stalled/); // LayerNorm, the block's bottleneck
    assert.match(file('src/mlp0_params.h'), /static const vp_rom<3> matmul1_weight_tiles\[512\]\[288\]/); // 32×16 words of 24×12
    const tcl = file('tcl/mlp0.tcl');
    for (const step of ['csim_design', 'csynth_design', 'cosim_design', 'export_design']) assert.match(tcl, new RegExp(step));
    assert.match(file('Makefile'), /^csim: all/m);
    assert.equal(p.network, undefined); // a subset has no network testbench
    assert.equal(p.blocks[0].compare.source, 'refs');
  });
});

describe('C simulation of a re-parallelised design (g++)', { skip: SKIP_NO_GXX }, () => {
  // As the planner builds designs (assembleDesign): 2 channels per beat everywhere (with the planner's narrowing
  // adapters in front of the K/V reshapers) and every ATTN and MLP matmul tiled differently from HG-PIPE. None of
  // this may change a single value.
  const kinds = {
    patchEmbed: { ...HGPIPE_PATCH_EMBED, outCp: 2 },
    attn: { ...HGPIPE_ATTN, lnCp: 2, softmaxCp: 2, qkv: { cip: 12, cop: 8 }, qk: { cip: 8, cop: 14 }, rv: { cip: 4, cop: 16 }, o: { cip: 6, cop: 24 } },
    mlp: { ...HGPIPE_MLP, lnCp: 2, fc1: { cip: 24, cop: 16 }, geluCp: 4, fc2: { cip: 32, cop: 8 } },
    head: { ...HGPIPE_HEAD, tp: 4 },
    linkDepth: 64,
  };
  const dir = mkdtempSync(join(tmpdir(), 'vitpipe-codegen-'));
  tmp.push(dir);
  const run = (args: string[]) => spawnSync('make', ['-C', dir, ...args], { encoding: 'utf8' });

  test('ATTN2 (the block with the hardware k-quant wrap) and MLP0 are bit-exact vs the refs', () => {
    const built = assembleDesign(MODEL_ZOO['hgpipe-deit-tiny'], kinds, 'reparallel');
    const design = parseDesign(JSON.parse(designToJson(built)), 'reparallel.json'); // the design-file path, as from `vitpipe plan`
    const weights = loadWeights(REFS_DIR, MODEL_ZOO['hgpipe-deit-tiny']);
    const p = generateProject({ design, weightsDir: REFS_DIR, types: loadHardwareTypes(TYPES_FILE), blocks: ['ATTN2', 'MLP0'], weights });
    writeProject(p, dir);
    // The MACs carry the new tiling (QKᵀ 2 tokens × 14 keys, fc1 2 tokens × 16 hidden channels per beat) and the
    // block ports two channels per beat.
    assert.match(readFileSync(join(dir, 'src/attn2.cpp'), 'utf8'), /attn_r_t acc\[2\]\[14\];/);
    assert.match(readFileSync(join(dir, 'src/attn2.h'), 'utf8'), /typedef vp_vec<attn_if_t, 4> in_beat;/);
    assert.match(readFileSync(join(dir, 'src/mlp0.cpp'), 'utf8'), /mlp_m1_t acc\[2\]\[16\];/);
    const r = run(['-j2', 'csim', `REFS=${REFS_DIR}`]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ATTN2 +PASS: 37632\/37632 values bit-exact vs refs attn_2_output\.txt.*__kq_cursor_t 1x/m);
    // The wrap itself (SPEC §0): the k-quant stream equals the engine's hardware mode, which differs from the refs
    // in exactly token 158, channel 166 (3 in the refs, −4 in hardware).
    assert.match(r.stdout, /internal stream kq_sm bit-exact vs engine hardware mode .* differs from refs attn_2_kq_output\.txt in 1 value \(first \[158\]\[166\]: refs 3, hardware -4\)/);
    assert.match(r.stdout, /^MLP0 +PASS: 37632\/37632 values bit-exact vs refs mlp_0_output\.txt/m);
  });

  test('a probed internal stream that differs from the engine fails its block', () => {
    const file = join(dir, 'expected', 'attn_2_kq_output.hw.txt');
    const hw = readFileSync(file, 'utf8').split(',');
    assert.equal(hw[158 * 192 + 166], '-4');
    hw[158 * 192 + 166] = '3'; // pretend the engine did not wrap
    writeFileSync(file, hw.join(','));
    const r = run(['csim', `REFS=${REFS_DIR}`, 'BLOCKS=attn2', 'NETWORK=no']);
    assert.notEqual(r.status, 0);
    assert.match(r.stdout, /^ATTN2 +FAIL: output bit-exact vs refs attn_2_output\.txt but an internal check failed.*internal stream kq_sm: 1 of 37632 values differ from engine hardware mode/m);
  });

  test('a testbench reports FAIL and exits non-zero when one expected value differs', () => {
    const refs = join(dir, 'fake-refs');
    spawnSync('mkdir', ['-p', refs]);
    copyFileSync(join(REFS_DIR, 'mlp_0_input.txt'), join(refs, 'mlp_0_input.txt'));
    const want = readFileSync(join(REFS_DIR, 'mlp_0_output.txt'), 'utf8').split(',');
    want[5] = String(Number(want[5]) + 1);
    writeFileSync(join(refs, 'mlp_0_output.txt'), want.join(','));
    const r = run(['csim', `REFS=${refs}`, 'BLOCKS=mlp0', 'NETWORK=no']);
    assert.notEqual(r.status, 0);
    assert.match(r.stdout, /^MLP0 +FAIL: 1 of 37632 values differ from refs mlp_0_output\.txt; first at \[0\]\[5\]/m);
  });

  test('with widths narrowed until tens of thousands of values wrap, the C++ still equals the engine in hardware mode', () => {
    // Narrower LayerNorm, softmax and matmul types than HG-PIPE's: outputs then differ from the refs, so the
    // testbenches compare with the engine's hardware-mode outputs and probe every internal stream that the wraps change.
    const types = loadHardwareTypes(TYPES_FILE);
    const s = (bits: number) => ({ signed: true, bits });
    const u = (bits: number) => ({ signed: false, bits });
    const narrowed = {
      ...types,
      ATTN1: { ...types.ATTN1, __ln_mu_t: s(6), __ln_var_t: u(22), __softmax_acc_t: u(18), __softmax_affine_t: u(20), __attn_a_t: s(8) },
      MLP0: { ...types.MLP0, __mlp_m1_t: s(9), __mlp_of_t: s(12) },
    };
    const wdir = mkdtempSync(join(tmpdir(), 'vitpipe-codegen-wrap-'));
    tmp.push(wdir);
    const weights = loadWeights(REFS_DIR, MODEL_ZOO['hgpipe-deit-tiny']);
    const p = generateProject({ design: hgpipeDeitTiny(), weightsDir: REFS_DIR, types: narrowed, blocks: ['ATTN1', 'MLP0'], weights });
    assert.deepEqual(p.blocks.map((b) => b.compare.source), ['engine', 'engine']);
    writeProject(p, wdir);
    const r = spawnSync('make', ['-C', wdir, '-j2', 'csim', `REFS=${REFS_DIR}`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ATTN1 +PASS: 37632\/37632 values bit-exact vs engine hardware mode \(expected\/attn_1_output\.txt; the refs differ in \d+ values\).*__softmax_affine_t.*internal stream lnq_sm bit-exact vs engine hardware mode/m);
    assert.match(r.stdout, /^MLP0 +PASS: 37632\/37632 values bit-exact vs engine hardware mode.*internal stream m1_sm bit-exact vs engine hardware mode .* differs from refs mlp_0_matmul1_output\.txt in 283 values/m);
  });
});
