import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { generateProject, writeProject } from '../../src/codegen/index.ts';
import {
  HGPIPE_ATTN, HGPIPE_MLP, buildAttnBlock, buildMlpBlock, designToJson, geometriesOf, parseDesign, validateDesign, withValidKeys,
} from '../../src/ir/index.ts';
import { MODEL_ZOO } from '../../src/model/index.ts';
import { makeTokenPruner } from '../../src/prune/index.ts';
import { loadHardwareTypes, loadWeights } from '../../src/refs/index.ts';
import { REFS_DIR, SKIP_NO_REFS, TYPES_FILE } from '../shared.ts';

const HAVE_GXX = spawnSync('g++', ['--version']).status === 0 && spawnSync('make', ['--version']).status === 0;
const SKIP_NO_GXX = SKIP_NO_REFS || (HAVE_GXX ? false : 'needs g++ and make to build the generated C simulation; skipped');
const tmp: string[] = [];
after(() => tmp.forEach((d) => rmSync(d, { recursive: true, force: true })));

const model = MODEL_ZOO['hgpipe-deit-tiny'];
const { g } = geometriesOf(model);
/**
 * ATTN3 at 2 channels per beat with a selector keeping 137 of 195 image tokens (keep 0.7; the rest fused: 139 tokens,
 * an odd count in 70 token pairs), out at 1 channel per beat; MLP3 and ATTN4 at 139 tokens (ATTN4's softmax ignores
 * the padding key).
 */
function slice() {
  const attnCfg = { ...HGPIPE_ATTN, lnCp: 2, softmaxCp: 2, qkv: { cip: 12, cop: 8 }, qk: { cip: 8, cop: 14 }, rv: { cip: 4, cop: 16 }, o: { cip: 6, cop: 24 } };
  const attn = buildAttnBlock('ATTN3', 3, g, attnCfg, { tokensIn: 196, keep: 137, fuse: true, cpOut: 1 });
  const mlp = buildMlpBlock('MLP3', 3, { ...g, tokens: 140 }, HGPIPE_MLP);
  const next = withValidKeys(buildAttnBlock('ATTN4', 4, { ...g, tokens: 140 }, HGPIPE_ATTN), 139);
  const built = validateDesign({ name: 'pruned-slice', model: model.name, blocks: [attn, mlp, next], linkDepth: 128 });
  return parseDesign(JSON.parse(designToJson(built)), 'pruned-slice.json'); // the design-file path
}
const pruner = makeTokenPruner({ stages: [{ block: 3, keep: 0.7 }], fuse: true }, model.heads, model.width);

describe('C simulation of a token-pruned slice (g++)', { skip: SKIP_NO_GXX }, () => {
  test('ATTN3 + its selector (keep 0.7, fused, width 2 → 1 per beat) + MLP3 and ATTN4 at 139 tokens equal the engine', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitpipe-codegen-prune-'));
    tmp.push(dir);
    const weights = loadWeights(REFS_DIR, model);
    const p = generateProject({ design: slice(), weightsDir: REFS_DIR, types: loadHardwareTypes(TYPES_FILE), weights, tokenPruner: pruner });
    assert.deepEqual(p.blocks.map((b) => b.compare.source), ['engine', 'engine', 'engine']);
    writeProject(p, dir);
    assert.match(readFileSync(join(dir, 'src/attn3.cpp'), 'utf8'), /attn_of_t sel_ready_bank\[26880\];  \/\/ shared by two processes: a ping-pong \(PIPO\) buffer/);
    assert.match(readFileSync(join(dir, 'src/attn3.h'), 'utf8'), /typedef vp_vec<attn_of_t, 2> out_beat;/);
    assert.match(readFileSync(join(dir, 'src/attn4.cpp'), 'utf8'), /k < 139 \?/);
    const r = spawnSync('make', ['-C', dir, '-j2', 'csim', `REFS=${REFS_DIR}`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    // 139 tokens × 192 channels (the stream carries 140: the padding slot is not compared)
    assert.match(r.stdout, /^ATTN3 +PASS: 26688\/26688 values bit-exact vs engine hardware mode with the same token pruning \(expected\/mlp_3_input\.txt\)/m);
    assert.match(r.stdout, /^MLP3 +PASS: 26688\/26688 values bit-exact vs engine hardware mode with the same token pruning \(expected\/mlp_3_output\.txt\)/m);
    assert.match(r.stdout, /^ATTN4 +PASS: 26688\/26688 values bit-exact vs engine hardware mode with the same token pruning \(expected\/attn_4_output\.txt\)/m);
  });
});

describe('vitpipe generate --prune-tokens (CLI errors)', { skip: SKIP_NO_REFS }, () => {
  const vitpipe = (...args: string[]) => spawnSync(process.execPath, ['bin/vitpipe.js', 'generate', '--weights', REFS_DIR, '--out', join(tmpdir(), 'vitpipe-never'), ...args], { encoding: 'utf8' });
  test('vitpipe generate --prune-tokens: a malformed setting and a non-built-in design are named, exit 1', () => {
    const bad = vitpipe('--design', 'hgpipe-deit-tiny', '--prune-tokens', '3;6:half');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--prune-tokens.*expected <layers>:<keep>, e\.g\. 3,6,9:0\.5; got '3;6:half'/);
    const file = vitpipe('--design', 'some-design.json', '--prune-tokens', '3:0.5');
    assert.equal(file.status, 1);
    assert.match(file.stderr, /--prune-tokens rebuilds a built-in design \(hgpipe-deit-tiny\) or plans one with --device; 'some-design\.json' is neither/);
  });
});
