import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { generateProject, writeProject } from '../../src/codegen/index.ts';
import { mergedAway } from '../../src/merge/index.ts';
import { MODEL_ZOO } from '../../src/model/index.ts';
import { tokenMergedDesign } from '../../src/prune/index.ts';
import { loadHardwareTypes, loadWeights } from '../../src/refs/index.ts';
import { REFS_DIR, SKIP_NO_REFS, TYPES_FILE } from '../shared.ts';

const HAVE_GXX = spawnSync('g++', ['--version']).status === 0 && spawnSync('make', ['--version']).status === 0;
const SKIP_NO_GXX = SKIP_NO_REFS || (HAVE_GXX ? false : 'needs g++ and make to build the generated C simulation; skipped');
const tmp: string[] = [];
after(() => tmp.forEach((d) => rmSync(d, { recursive: true, force: true })));

const model = MODEL_ZOO['hgpipe-deit-tiny'];
/** r = 15 then 8: ATTN0 merges 196 → 181 tokens (an odd count: MLP0 and ATTN1 run 182 slots), ATTN1 181 → 173. */
const SCHEDULE = '15,8,0,0,0,0,0,0,0,0,0,0';
const make = (dir: string, ...targets: string[]) => spawnSync('make', ['-C', dir, '-j2', ...targets, `REFS=${REFS_DIR}`], { encoding: 'utf8' });

describe('C simulation of a token-merged slice (g++)', { skip: SKIP_NO_GXX }, () => {
  test('ATTN0 + merge unit (r = 15), MLP0, ATTN1 (softmax size bias from the size link) + merge unit (r = 8), ATTN2 (sizes passed on) equal the engine', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitpipe-codegen-merge-'));
    tmp.push(dir);
    const { design, mergeTokens } = tokenMergedDesign('hgpipe-deit-tiny', SCHEDULE);
    const weights = loadWeights(REFS_DIR, model);
    const p = generateProject({ design, weightsDir: REFS_DIR, types: loadHardwareTypes(TYPES_FILE), weights, mergeTokens, blocks: ['ATTN0', 'MLP0', 'ATTN1', 'ATTN2'] });
    assert.deepEqual(p.blocks.map((b) => b.compare.source), ['engine', 'engine', 'engine', 'engine']);
    writeProject(p, dir);
    // the size link: ATTN0 writes its output tokens' sizes, ATTN1 reads them and writes its own, ATTN2 passes them on
    assert.match(readFileSync(join(dir, 'src/attn0.h'), 'utf8'), /void attn0_top\(vp_stream<attn0::in_beat>& in, vp_stream<attn0::out_beat>& out, vp_stream<attn0::size_beat>& sizes_out\);/);
    assert.match(readFileSync(join(dir, 'src/attn1.h'), 'utf8'), /sizes_in, vp_stream<attn1::size_beat>& sizes_out\);/);
    assert.match(readFileSync(join(dir, 'src/mlp0.h'), 'utf8'), /void mlp0_top\(vp_stream<mlp0::in_beat>& in, vp_stream<mlp0::out_beat>& out\);/);
    const r = make(dir, 'csim');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const t0 = model.tokens - mergedAway(model.tokens, 15);
    const t1 = t0 - mergedAway(t0, 8);
    const C = model.width;
    assert.match(r.stdout, new RegExp(`^ATTN0 +PASS: ${t0 * C}/${t0 * C} values bit-exact vs engine hardware mode with the same token merging \\(expected/mlp_0_input\\.txt\\).*; ${t0} token sizes equal to expected/mlp_0_input\\.sizes\\.txt$`, 'm'));
    assert.match(r.stdout, new RegExp(`^MLP0 +PASS: ${t0 * C}/${t0 * C} values bit-exact`, 'm'));
    assert.match(r.stdout, new RegExp(`^ATTN1 +PASS: ${t1 * C}/${t1 * C} values bit-exact vs engine hardware mode with the same token merging \\(expected/mlp_1_input\\.txt\\).*; ${t1} token sizes equal to expected/mlp_1_input\\.sizes\\.txt$`, 'm'));
    assert.match(r.stdout, new RegExp(`^ATTN2 +PASS: ${t1 * C}/${t1 * C} values bit-exact vs engine hardware mode with the same token merging \\(expected/attn_2_output\\.txt\\).*; ${t1} token sizes equal to expected/attn_2_output\\.sizes\\.txt$`, 'm'));
    // the size bias is exercised: ATTN1 without it differs from the engine
    const src = join(dir, 'src/attn1.cpp');
    const code = readFileSync(src, 'utf8');
    assert.match(code, / \+ kb\[k\];/);
    writeFileSync(src, code.replace(/ \+ kb\[k\];/g, ';'));
    const unbiased = make(dir, 'build/tb_attn1');
    assert.equal(unbiased.status, 0, unbiased.stdout + unbiased.stderr);
    const run = spawnSync(join(dir, 'build/tb_attn1'), [REFS_DIR, join(dir, 'expected')], { encoding: 'utf8' });
    assert.equal(run.status, 1);
    assert.match(run.stdout, /^ATTN1 +FAIL: \d+ of \d+ values differ/m);
  });
});

describe('generating token-merged designs (errors)', { skip: SKIP_NO_REFS }, () => {
  const vitpipe = (...args: string[]) => spawnSync(process.execPath, ['bin/vitpipe.js', 'generate', '--weights', REFS_DIR, '--out', join(tmpdir(), 'vitpipe-never'), ...args], { encoding: 'utf8' });
  test('vitpipe generate --merge-tokens: a malformed schedule, a non-built-in design and merging with pruning are named, exit 1', () => {
    const bad = vitpipe('--design', 'hgpipe-deit-tiny', '--merge-tokens', '16,8');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--merge-tokens.*2 merge counts; expected one per layer \(12\) or a single number/);
    const file = vitpipe('--design', 'some-design.json', '--merge-tokens', '8');
    assert.equal(file.status, 1);
    assert.match(file.stderr, /--merge-tokens rebuilds a built-in design \(hgpipe-deit-tiny\) or plans one with --device; 'some-design\.json' is neither/);
    const both = vitpipe('--design', 'hgpipe-deit-tiny', '--merge-tokens', '8', '--prune-tokens', '3:0.5');
    assert.equal(both.status, 1);
    assert.match(both.stderr, /token pruning and token merging cannot be combined/);
  });
  test('a merged design needs its own schedule: generateProject without it, or with another, refuses it', () => {
    const { design } = tokenMergedDesign('hgpipe-deit-tiny', '8');
    assert.throws(
      () => generateProject({ design, weightsDir: REFS_DIR, types: loadHardwareTypes(TYPES_FILE), blocks: ['ATTN0'] }),
      /design hgpipe-deit-tiny \(merge 8\) has merge units: generate it with its --merge-tokens schedule/,
    );
    assert.throws(
      () => generateProject({ design, weightsDir: REFS_DIR, types: loadHardwareTypes(TYPES_FILE), blocks: ['ATTN0'], mergeTokens: Array(12).fill(4) }),
      /design hgpipe-deit-tiny \(merge 8\) merges ATTN0: 196 → 188, .* but --merge-tokens 4,4,4,4,4,4,4,4,4,4,4,4 merges ATTN0: 196 → 192, /,
    );
  });
});
