import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { infer, type InferOptions } from '../../src/engine/index.ts';
import { fastPlan } from '../../src/engine/fast/plan.ts';
import { MODEL_ZOO } from '../../src/model/index.ts';
import { formatRefs, loadHardwareTypes, loadWeights, readRefsInt32, type HardwareTypes, type ModelWeights } from '../../src/refs/index.ts';
import { EXTRA_GOLDENS, REFS_DIR, SKIP_NO_REFS, TYPES_FILE } from '../shared.ts';

const cfg = MODEL_ZOO['hgpipe-deit-tiny'];

/** The fast path (src/engine/fast) and the reference operators agree on logits and on every wrap event. */
function assertSameRun(weights: ModelWeights, patches: Int32Array, opts: InferOptions, what: string): number {
  const ref = infer(weights, patches, { ...opts, reference: true });
  const fast = infer(weights, patches, opts);
  assert.deepEqual(fast.logits, ref.logits, `${what}: logits`);
  assert.deepEqual(fast.wraps, ref.wraps, `${what}: wrap events`);
  assert.equal(fast.wrapCount, ref.wrapCount, `${what}: wrap count`);
  assert.deepEqual(fast.wrapTallies, ref.wrapTallies, `${what}: wrap tallies`);
  return ref.wrapCount;
}

/** HG-PIPE's widths with some fields of some blocks narrowed, so that every kind of fast-path hand-back happens. */
function narrowed(types: HardwareTypes, changes: Array<[string, string, number]>): HardwareTypes {
  const out: Record<string, Record<string, { signed: boolean; bits: number }>> = structuredClone(types) as never;
  for (const [block, field, bits] of changes) out[block][field] = { ...out[block][field], bits };
  return out as unknown as HardwareTypes;
}

describe('engine fast path equals the reference operators', { skip: SKIP_NO_REFS }, () => {
  let weights: ModelWeights;
  let types: HardwareTypes;
  let patches: Int32Array;

  test('HG-PIPE DeiT-tiny takes the fast path', () => {
    weights = loadWeights(REFS_DIR, cfg);
    types = loadHardwareTypes(TYPES_FILE);
    patches = readRefsInt32(REFS_DIR, 'patch_embed_input', [196, 768]);
    assert.notEqual(fastPlan(weights), null);
  });

  test('reference image, ideal and hardware (its ATTN2 k-quant wrap handled on the fast path)', () => {
    assertSameRun(weights, patches, { mode: 'ideal' }, 'ideal');
    assert.equal(assertSameRun(weights, patches, { mode: 'hardware', types }, 'hardware'), 1);
    assert.equal(assertSameRun(weights, patches, { mode: 'hardware', types, maxWrapEvents: 0 }, 'hardware, no events kept'), 1);
  });

  test('narrowed widths: wraps in every operator kind (block handed back to the reference, or wrapped in place)', () => {
    const cases: Array<[string, string, number]> = [
      ['ATTN0', '__ln_affine_t', 12], // LayerNorm → block handed back
      ['ATTN1', '__attn_q_t', 6], // q accumulator → wrapped in place
      ['ATTN3', '__attn_r_t', 7], // QKᵀ scores → softmax kernel hands back
      ['ATTN4', '__softmax_exp_t', 5],
      ['ATTN5', '__attn_a_t', 5], // R·V requant → handed back
      ['ATTN6', '__attn_of_t', 14], // residual → handed back
      ['MLP2', '__gelu_cursor_t', 4], // GELU cursor → wrapped in place
      ['MLP7', '__mlp_m2_t', 8],
    ];
    const count = assertSameRun(weights, patches, { mode: 'hardware', types: narrowed(types, cases) }, 'narrowed');
    assert.ok(count > 1000, `expected many wraps, got ${count}`);
    const embed = assertSameRun(weights, patches, { mode: 'hardware', types: narrowed(types, [['PATCH_EMBED', '__ml_t', 12]]) }, 'patch embedding narrowed');
    assert.ok(embed > 100, `expected patch-embedding wraps, got ${embed}`);
  });

  for (const photo of ['n01443537_goldfish', 'n03000134_chainlink_fence']) {
    const dir = join(EXTRA_GOLDENS, photo);
    test(`unseen photo ${photo}: fast-path logits equal the independent goldens in both modes`, { skip: !existsSync(dir) && 'no extra goldens' }, () => {
      const x = readRefsInt32(dir, 'patch_embed_input', [196, 768]);
      for (const [mode, sub] of [['ideal', ''], ['hardware', 'hls']] as const) {
        const { logits } = infer(weights, x, { mode, types });
        assert.equal(formatRefs(logits), readFileSync(join(dir, sub, 'network_output.txt'), 'latin1'), mode);
      }
    });
  }
});
