import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cachedWeights, infer } from '../../src/engine/index.ts';
import {
  compareCosine, keyMetric, makeTokenMerger, matchTokens, mergedAway, mergeRows, mergeSchedule, parseMergeTokens, sizeBias, sizeSteps,
} from '../../src/merge/index.ts';
import { MODEL_ZOO, shapeOf } from '../../src/model/index.ts';
import { idealArith, softmaxQuant } from '../../src/ops/index.ts';
import { readRefsInt32 } from '../../src/refs/index.ts';
import { REFS_DIR, SKIP_NO_REFS } from '../shared.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSetting, loadSettings, mergeSetting, settingSchedule } from '../../src/prune/index.ts';

describe('token merging: the integer definition', () => {
  test('schedules: r per layer, capped by the mergeable A rows', () => {
    assert.deepEqual(parseMergeTokens('8', 3), [8, 8, 8]);
    assert.deepEqual(parseMergeTokens('8, 4,0', 3), [8, 4, 0]);
    assert.throws(() => parseMergeTokens('8,8', 3), /one per layer/);
    assert.throws(() => parseMergeTokens('8;8', 3), /expected r or/);
    assert.throws(() => parseMergeTokens('-1', 3), /expected r or/);
    assert.equal(mergedAway(197, 8), 8);
    assert.equal(mergedAway(197, 200), 98); // A = rows 0, 2, …, 196: 99 rows, 98 without CLS
    assert.equal(mergedAway(10, 200), 4); // A = 0, 2, 4, 6, 8
    assert.deepEqual(mergeSchedule(197, [8, 8, 0]), { attn: [197, 189, 181], mlp: [189, 181, 181] });
  });

  test('keys are summed over heads', () => {
    // 2 tokens, 2 heads, headDim 2: row t = [h0d0, h0d1, h1d0, h1d1]
    const keys = Int32Array.from([1, 2, 3, 4, -1, 0, 2, -3]);
    assert.deepEqual([...keyMetric(keys, 2, 2, 2)], [4, 6, 1, -3]);
  });

  test('cosines compare exactly: signs first, zero norms are 0, squares cross-multiplied', () => {
    assert.equal(compareCosine({ dot: 1, norms: 4 }, { dot: 1, norms: 5 }), 1); // 1/2 > 1/√5
    assert.equal(compareCosine({ dot: -1, norms: 4 }, { dot: -1, norms: 5 }), -1); // −1/2 < −1/√5
    assert.equal(compareCosine({ dot: 2, norms: 16 }, { dot: 1, norms: 4 }), 0); // both 1/2
    assert.equal(compareCosine({ dot: 0, norms: 0 }, { dot: -1, norms: 9 }), 1);
    assert.equal(compareCosine({ dot: 5, norms: 0 }, { dot: 0, norms: 3 }), 0); // zero norm ⇒ cosine 0
    // beyond 2^53 the BigInt path decides: (3e7)²·(1e9+1) vs (3e7)²·1e9 → the first is the smaller cosine
    assert.equal(compareCosine({ dot: 3e7, norms: 1e9 }, { dot: 3e7, norms: 1e9 + 1 }), 1);
  });

  test('matching: best B partner with ties to the lower row, best A rows merge, ties to the lower row, CLS never', () => {
    // rows: 0 CLS [9,9]; B: 1 [1,0], 3 [0,1]; A: 2 [2,0] (cos 1 with row 1), 4 [1,1] (1/√2 with 1 and with 3: tie → 1)
    const metric = Int32Array.from([9, 9, 1, 0, 2, 0, 0, 1, 1, 1]);
    const m1 = matchTokens(metric, 5, 2, 1);
    assert.deepEqual(m1.sources, [2]);
    assert.deepEqual([...m1.partner], [-1, 1, 1, 3, -1]);
    const m2 = matchTokens(metric, 5, 2, 2);
    assert.deepEqual(m2.sources, [2, 4]);
    assert.deepEqual([...m2.partner], [-1, 1, 1, 3, 1]);
    // r beyond the mergeable rows: CLS stays even when it equals a B row exactly
    const same = Int32Array.from([1, 0, 1, 0, 0, 1, 5, 5, 0, 2]);
    const m3 = matchTokens(same, 5, 2, 9);
    assert.deepEqual(m3.sources, [2, 4]);
    assert.equal(m3.partner[0], -1);
    // two A rows with equal best cosines: the lower row merges first
    const tie = Int32Array.from([0, 1, 3, 0, 3, 0, 0, 1, 3, 0]);
    assert.deepEqual(matchTokens(tie, 5, 2, 1).sources, [2]);
  });

  test('merged rows: size-weighted mean rounded half up (negative halves towards +∞), sizes add, A then B order', () => {
    const m = { sources: [2], partner: Int32Array.from([-1, 1, 1, 3, -1]) };
    const x = Int32Array.from([100, 10, 21, 30, 40]); // width 1
    const a = mergeRows(x, Int32Array.from([1, 1, 1, 1, 1]), 5, 1, m);
    assert.deepEqual([...a.x], [100, 40, 16, 30]); // (10 + 21)/2 = 15.5 → 16
    assert.deepEqual([...a.sizes], [1, 1, 2, 1]);
    assert.equal(a.tokens, 4);
    const b = mergeRows(Int32Array.from([7, -3, -4, 1, 2]), Int32Array.from([1, 1, 1, 1, 5]), 5, 1, m);
    assert.deepEqual([...b.x], [7, 2, -3, 1]); // (−3 − 4)/2 = −3.5 → −3
    assert.deepEqual([...b.sizes], [1, 5, 2, 1]);
    const c = mergeRows(x, Int32Array.from([1, 3, 1, 1, 1]), 5, 1, m);
    assert.deepEqual([...c.x], [100, 40, 13, 30]); // (3·10 + 21)/4 = 12.75 → 13
    assert.deepEqual([...c.sizes], [1, 1, 4, 1]);
  });

  test('proportional attention: δ(s) is the table shift whose exp·s is nearest exp[0], as a score bias δ·2^s1', () => {
    const exp = Int32Array.from([32768, 21631, 14280, 9426, 6223]);
    assert.equal(sizeSteps({ exp, bound1: 4 }, 1), 0);
    assert.equal(sizeSteps({ exp, bound1: 4 }, 2), 2); // |2·14280 − 32768| = 4208 is the nearest
    assert.equal(sizeSteps({ exp, bound1: 1 }, 2), 1); // clamped to the table's bound
    assert.equal(sizeSteps({ exp: Int32Array.from([12, 8, 4]), bound1: 2 }, 2), 1); // |16−12| = |8−12|: the smaller d
    assert.deepEqual([...sizeBias({ exp, bound1: 4, s1: 4 }, Int32Array.from([1, 2, 1]))], [0, 32, 0]);
  });

  test('the softmax key bias is the plain softmax of the biased scores', () => {
    const exp = Int32Array.from({ length: 32 }, (_, i) => Math.round(32768 * Math.exp(-i / 4)));
    const recip = (step: number) => Int32Array.from({ length: 64 }, (_, i) => Math.min(255, Math.round((255 * 64) / (i + 1) / step)));
    const p = {
      b1: 8, s1: 4, bound1: 31, b2One: -25242, s2One: 14, bound2One: 63, b3One: 32768, s3One: 16,
      b2Two: -596612, s2Two: 17, bound2Two: 63, b3Two: 524288, s3Two: 20, clampBits: 3, exp, recipOne: recip(1), recipTwo: recip(8),
    };
    const r = Int32Array.from([400, 380, -300, -300, -300, -300, -300, -300]);
    const bias = Int32Array.from([0, 400, 0, 16, 0, 0, 0, 0]);
    const biased = r.map((v, i) => v + bias[i]);
    const arith = idealArith('ATTN0');
    assert.deepEqual(softmaxQuant(r, 1, 8, p, arith, bias), softmaxQuant(biased, 1, 8, p, arith));
    assert.notDeepEqual(softmaxQuant(r, 1, 8, p, arith, bias), softmaxQuant(r, 1, 8, p, arith));
  });
});

describe('token merging settings', () => {
  test('mergeTokens in settings files: one r or r per layer; not with token pruning; named errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'merge-settings-'));
    try {
      const file = join(dir, 's.json');
      writeFileSync(file, JSON.stringify([{ name: 'a', mergeTokens: 8 }, { name: 'b', mergeTokens: [16, 16, 0], proportionalAttention: false }]));
      const [a, b] = loadSettings(file, 3);
      assert.deepEqual(settingSchedule(196, 3, a), { attn: [196, 188, 180], mlp: [188, 180, 172] });
      assert.deepEqual(settingSchedule(196, 3, b), { attn: [196, 180, 164], mlp: [180, 164, 164] });
      writeFileSync(file, JSON.stringify([{ name: 'c', mergeTokens: [8, 8] }]));
      assert.throws(() => loadSettings(file, 3), /setting 'c'.*2 merge counts; expected one per layer \(3\)/);
      writeFileSync(file, JSON.stringify([{ name: 'd', mergeTokens: -1 }]));
      assert.throws(() => loadSettings(file, 3), /mergeTokens/);
    } finally {
      rmSync(dir, { recursive: true });
    }
    assert.throws(() => checkSetting({ name: 'e', mergeTokens: 8, tokens: { stages: [{ block: 1, keep: 0.5 }], fuse: true } }, 3), /cannot be combined/);
    assert.deepEqual(mergeSetting('8', 3), { name: 'merge 8', mergeTokens: 8 });
    assert.deepEqual(mergeSetting('16,8,0', 3, false), { name: 'merge 16,8,0 (no size bias)', mergeTokens: [16, 8, 0], proportionalAttention: false });
  });
});

describe('token merging in the engine', { skip: SKIP_NO_REFS }, () => {
  const model = MODEL_ZOO['hgpipe-deit-tiny'];
  test('r = 0 is the unmerged network; r = 8 runs every block at its own token count', () => {
    const w = cachedWeights(REFS_DIR, model);
    const x = readRefsInt32(REFS_DIR, 'patch_embed_input', [model.tokens, shapeOf(model).patchElements]);
    const plain = infer(w, x).logits;
    assert.deepEqual(infer(w, x, { tokenMerger: makeTokenMerger(w, Array(12).fill(0)) }).logits, plain);
    const rows = new Map<string, number>();
    const sizes = new Map<number, Int32Array>();
    const onSizes = (n: number, sz: Int32Array) => sizes.set(n, sz.slice());
    infer(w, x, { tokenMerger: makeTokenMerger(w, [8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 0], { onSizes }), trace: (n, d) => rows.set(n, d.length / model.width) });
    const s = mergeSchedule(model.tokens, [8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 0]);
    for (let n = 0; n < 12; n++) {
      assert.equal(rows.get(`attn_${n}_input`), s.attn[n]);
      assert.equal(rows.get(`mlp_${n}_input`), s.mlp[n]);
    }
    // the sizes after each merge (codegen's size link): one per remaining token, CLS alone, every image token counted once
    assert.deepEqual([...sizes.keys()], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const [n, sz] of sizes) {
      assert.equal(sz.length, s.mlp[n]);
      assert.equal(sz[0], 1);
      assert.equal(sz.reduce((a, b) => a + b, 0), model.tokens);
    }
    // layer 0: 8 unit tokens merged into B rows (several may share one), so the sizes above 1 add up to 8 more than their count
    const big = [...sizes.get(0)!].filter((v) => v > 1);
    assert.equal(big.reduce((a, b) => a + b - 1, 0), 8);
    assert.equal(s.mlp[11], model.tokens - 88); // 11 layers of 8, never capped
  });
});
