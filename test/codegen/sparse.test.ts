import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { generateProject, writeProject } from '../../src/codegen/index.ts';
import { VitpipeError } from '../../src/diag/index.ts';
import { hgpipeDeitTiny, sparseIterations, type MacProcess } from '../../src/ir/index.ts';
import { MODEL_ZOO } from '../../src/model/index.ts';
import { pruneModelWeights, sparsifyDesign } from '../../src/prune/index.ts';
import { loadHardwareTypes, loadWeights } from '../../src/refs/index.ts';
import { REFS_DIR, SKIP_NO_REFS, TYPES_FILE } from '../shared.ts';

const HAVE_GXX = spawnSync('g++', ['--version']).status === 0 && spawnSync('make', ['--version']).status === 0;
const SKIP_NO_GXX = SKIP_NO_REFS || (HAVE_GXX ? false : 'needs g++ and make to build the generated C simulation; skipped');
const tmp: string[] = [];
after(() => tmp.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('code generation of block-sparse MACs (weight-block pruning)', { skip: SKIP_NO_REFS }, () => {
  const load = () => {
    const base = loadWeights(REFS_DIR, MODEL_ZOO['hgpipe-deit-tiny']);
    const weights = pruneModelWeights(base, { density: 0.5, block: 16 });
    return { base, weights, ...sparsifyDesign(hgpipeDeitTiny(), weights) };
  };
  let ctx: ReturnType<typeof load>;

  test('MLP0 pruned to density 0.5: compressed ROMs of the stored tiles only, bit-exact in C simulation vs the engine', { skip: SKIP_NO_GXX }, () => {
    ctx = load();
    const block = ctx.design.blocks.find((b) => b.name === 'MLP0')!;
    const m1 = block.processes.find((p) => p.name === 'm1.mac') as MacProcess;
    assert.ok(m1.sparsity, 'fc1 runs block-sparse');
    const I = sparseIterations(m1.sparsity!);
    assert.ok(I < (768 / 24) * (192 / 12), `${I} stored tiles`);
    const p = generateProject({ design: ctx.design, weightsDir: REFS_DIR, types: loadHardwareTypes(TYPES_FILE), blocks: ['MLP0'], weights: ctx.weights });
    const params = p.files.find((f) => f.path === 'src/mlp0_params.h')!.content;
    assert.match(params, new RegExp(`matmul1_sparse_tiles\\[${I}\\]\\[288\\]`));
    assert.doesNotMatch(params, /matmul1_weight_tiles/);
    assert.match(p.files.find((f) => f.path === 'src/mlp0.cpp')!.content, /m1_cache_window_tile_col\[j\]/);
    assert.match(p.blocks[0].compare.against, /^engine hardware mode/);
    const dir = mkdtempSync(join(tmpdir(), 'vitpipe-codegen-sparse-'));
    tmp.push(dir);
    writeProject(p, dir);
    const r = spawnSync('make', ['-C', dir, '-j2', 'csim', `REFS=${REFS_DIR}`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /MLP0 +PASS: 37632\/37632 values bit-exact vs engine hardware mode/);
  });

  test('weights outside the stored tiles are rejected naming block, process and field', () => {
    ctx ??= load();
    try {
      generateProject({ design: ctx.design, weightsDir: REFS_DIR, types: loadHardwareTypes(TYPES_FILE), blocks: ['MLP0'], weights: ctx.base });
      assert.fail('generated with unpruned weights');
    } catch (e) {
      assert.ok(e instanceof VitpipeError, String(e));
      assert.match(e.message, /block MLP0, process m1\.mac \(mac\), field sparsity/);
      assert.match(e.message, /is non-zero but its tile \(row \d+, column \d+\) is not stored/);
    }
  });
});
