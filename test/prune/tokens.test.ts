import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clsScores, keptTokens, makeTokenPruner, rankTokens, selectTokens, tokenSchedule, tokensAfter } from '../../src/prune/index.ts';

describe('token selection', () => {
  test('keeps ceil(keep × image tokens), CLS always, fused token only when something is dropped', () => {
    assert.equal(keptTokens(196, 0.7), 137); // ceil(0.7 · 195) = 136.5 → 137
    assert.equal(keptTokens(196, 1), 195);
    assert.equal(keptTokens(11, 0.5), 5);
    assert.equal(tokensAfter(196, 0.7, true), 139);
    assert.equal(tokensAfter(196, 0.7, false), 138);
    assert.equal(tokensAfter(196, 1, true), 196);
    const s = tokenSchedule(196, 12, { stages: [3, 6, 9].map((block) => ({ block, keep: 0.5 })), fuse: true });
    assert.deepEqual(s.attn, [196, 196, 196, 196, 100, 100, 100, 52, 52, 52, 28, 28]);
    assert.deepEqual(s.mlp, [196, 196, 196, 100, 100, 100, 52, 52, 52, 28, 28, 28]);
  });

  test('ranking: higher score first, ties to the lower token index, kept in token order', () => {
    const scores = Int32Array.from([3, 5, 3, 0, 5, 3]); // tokens 1..6
    assert.deepEqual(rankTokens(scores, 2), [2, 5]);
    assert.deepEqual(rankTokens(scores, 3), [1, 2, 5]); // the three 3s tie: token 1 wins
    assert.deepEqual(rankTokens(scores, 4), [1, 2, 3, 5]);
    // a secondary key breaks the tie before the index does
    assert.deepEqual(rankTokens(scores, 3, Int32Array.from([0, 0, 9, 0, 0, 1])), [2, 3, 5]);
  });

  test('CLS-row scores are summed over heads', () => {
    const H = 2;
    const T = 3;
    const probs = new Int32Array(H * T * T);
    probs.set([9, 1, 2], 0); // head 0, query 0
    probs.set([7, 7, 7], 3); // head 0, query 1 (ignored)
    probs.set([9, 4, 0], 9); // head 1, query 0
    assert.deepEqual([...clsScores(probs, H, T)], [5, 2]);
  });

  test('fused token: score-weighted integer mean of the dropped rows, rounded half up', () => {
    const W = 2;
    // tokens: CLS, a, b, c, d; scores 4, 0, 1, 3 for a..d; keep 2 → a, d kept; b, c dropped (weights 0 and 1)
    const x = Int32Array.from([100, -100, 1, 2, 10, -10, 7, -7, 5, 6]);
    const sel = selectTokens(x, 5, W, Int32Array.from([4, 0, 1, 3]), 0.5, true);
    assert.deepEqual(sel.kept, [1, 4]);
    assert.deepEqual(sel.dropped, [2, 3]);
    assert.equal(sel.tokens, 4);
    // (0·10 + 1·7) / 1 = 7 and (0·−10 + 1·−7) / 1 = −7
    assert.deepEqual([...sel.x], [100, -100, 1, 2, 5, 6, 7, -7]);
    // all dropped scores 0 → plain mean, half up: (10 + 7) / 2 = 8.5 → 9; (−10 − 7) / 2 = −8.5 → −8
    const z = selectTokens(x, 5, W, Int32Array.from([4, 0, 0, 3]), 0.5, true);
    assert.deepEqual([...z.x.subarray(6)], [9, -8]);
    // without fusion the dropped rows simply vanish
    assert.deepEqual([...selectTokens(x, 5, W, Int32Array.from([4, 0, 1, 3]), 0.5, false).x], [100, -100, 1, 2, 5, 6]);
  });

  test('the engine hook is deterministic and leaves other blocks alone', () => {
    const H = 1;
    const T = 5;
    const W = 3;
    const pruner = makeTokenPruner({ stages: [{ block: 2, keep: 0.5 }], fuse: true }, H, W);
    const x = Int32Array.from({ length: T * W }, (_, i) => (i * 7919) % 101 - 50);
    const probs = new Int32Array(H * T * T);
    probs.set([1, 2, 2, 0, 1], 0);
    const qk = new Int32Array(H * T * T);
    assert.equal(pruner(1, x, T, probs, qk).x, x);
    const a = pruner(2, x, T, probs, qk);
    const b = pruner(2, x.slice(), T, probs.slice(), qk);
    assert.equal(a.tokens, 4);
    assert.deepEqual(a.x, b.x);
  });
});
