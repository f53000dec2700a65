import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { infer, runAttention, runHead, runMlp, runPatchEmbed } from '../../src/engine/index.ts';
import { blockNames } from '../../src/model/index.ts';
import { MODEL_ZOO } from '../../src/model/index.ts';
import { idealArith } from '../../src/ops/index.ts';
import { formatRefs, loadWeights, readRefsInt32, type ModelWeights } from '../../src/refs/index.ts';
import { HAVE_REFS, REFS_DIR, SKIP_NO_REFS } from '../shared.ts';

const cfg = MODEL_ZOO['hgpipe-deit-tiny'];
const T = cfg.tokens;
const C = cfg.width;

/** Every activation tensor the refs hold: all *_input / *_output files and the per-head K/V caches (492 files). */
function activationFiles(): string[] {
  return readdirSync(REFS_DIR)
    .filter((f) => /_(input|output)\.txt$|gen_[ra]_matmul_weight(_transpose)?\.txt$/.test(f))
    .filter((f) => f !== 'network_raw_input.txt')
    .map((f) => f.slice(0, -4))
    .sort();
}

/** Collects a run's trace and compares each tensor byte for byte with the refs file of the same name. */
class RefsComparer {
  readonly matched = new Set<string>();
  readonly mismatched: string[] = [];
  sink = (name: string, data: Int32Array): void => {
    let ref: string;
    try {
      ref = readFileSync(join(REFS_DIR, `${name}.txt`), 'latin1');
    } catch {
      return; // the engine traces a few views the refs do not store
    }
    if (formatRefs(data) === ref) this.matched.add(name);
    else this.mismatched.push(name);
  };
}

describe('bit-exact conformance with HG-PIPE golden refs (ideal mode)', { skip: SKIP_NO_REFS }, () => {
  let weights: ModelWeights;
  const files = HAVE_REFS ? activationFiles() : [];

  test('refs hold the 492 activation tensors the issue lists', () => {
    assert.equal(files.length, 492);
    weights = loadWeights(REFS_DIR, cfg);
  });

  test('every block, run from its reference input, reproduces every activation tensor exactly', () => {
    const cmp = new RefsComparer();
    const arith = idealArith;
    runPatchEmbed(cfg, weights.patchEmbed, readRefsInt32(REFS_DIR, 'patch_embed_input', [T, 768]), arith('PATCH_EMBED'), cmp.sink);
    for (let n = 0; n < cfg.depth; n++) {
      runAttention(cfg, n, weights.attention[n], readRefsInt32(REFS_DIR, `attn_${n}_input`, [T, C]), arith(`ATTN${n}`), cmp.sink);
      runMlp(cfg, n, weights.mlp[n], readRefsInt32(REFS_DIR, `mlp_${n}_input`, [T, C]), arith(`MLP${n}`), cmp.sink);
    }
    const logits = runHead(cfg, weights.head, readRefsInt32(REFS_DIR, 'head_input', [T, C]), arith('HEAD'), cmp.sink);
    cmp.sink('network_output', logits);
    assert.deepEqual(cmp.mismatched, []);
    assert.deepEqual(files.filter((f) => !cmp.matched.has(f)), [], 'activation files not covered by the engine trace');
    assert.equal(cmp.matched.size, 492);
  });

  test('the whole chain from patch_embed_input reproduces every tensor and network_output exactly', () => {
    const cmp = new RefsComparer();
    const { logits, wraps } = infer(weights, readRefsInt32(REFS_DIR, 'patch_embed_input', [T, 768]), { trace: cmp.sink });
    assert.deepEqual(cmp.mismatched, []);
    assert.equal(cmp.matched.size, 492);
    assert.equal(wraps.length, 0);
    assert.equal(logits[0], 102624);
    assert.equal(blockNames(cfg.depth).length, 26);
  });
});
