import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { infer } from '../../src/engine/index.ts';
import { MODEL_ZOO } from '../../src/model/index.ts';
import { formatRefs, loadHardwareTypes, loadWeights, readRefsInt32, type ModelWeights } from '../../src/refs/index.ts';
import { EXTRA_GOLDENS, REFS_DIR, SKIP_NO_REFS, TYPES_FILE } from '../shared.ts';

const cfg = MODEL_ZOO['hgpipe-deit-tiny'];
const BLOCK_OUTPUT = /^(patch_embed_output|attn_\d+_output|mlp_\d+_output|network_output)$/;

describe('hardware mode (HG-PIPE shipped widths, SPEC §1.9b)', { skip: SKIP_NO_REFS }, () => {
  let weights: ModelWeights;
  const types = () => loadHardwareTypes(TYPES_FILE);

  test('on the reference image it finds exactly the known ATTN2 k-quant cursor wrap', () => {
    weights = loadWeights(REFS_DIR, cfg);
    const patches = readRefsInt32(REFS_DIR, 'patch_embed_input', [196, 768]);
    const ideal = new Map<string, string>();
    infer(weights, patches, { trace: (n, d) => ideal.set(n, formatRefs(d)) });
    const differing: string[] = [];
    const { wraps } = infer(weights, patches, {
      mode: 'hardware',
      types: types(),
      trace: (n, d) => {
        if (ideal.get(n) !== formatRefs(d)) differing.push(n);
      },
    });
    assert.deepEqual(wraps, [
      { block: 'ATTN2', operator: 'k_quant', field: '__kq_cursor_t', element: 30502, value: 135, wrapped: -121, type: 's8' },
    ]);
    // Element 30502 = token 158 · 192 + channel 166 (SPEC §0): the wrap changes kq and the QKᵀ scores, but nothing
    // from softmax on.
    assert.deepEqual(differing.sort(), [
      'attn_2_gen_r_matmul_output',
      'attn_2_gen_r_matmul_weight',
      'attn_2_gen_r_matmul_weight_transpose',
      'attn_2_kq_output',
      'attn_2_softmaxq_input',
    ]);
  });

  for (const photo of ['n01443537_goldfish', 'n03000134_chainlink_fence']) {
    const dir = join(EXTRA_GOLDENS, photo);
    test(`unseen photo ${photo}: ideal and hardware block outputs equal the independent goldens`, { skip: !existsSync(dir) && 'no extra goldens' }, () => {
      const patches = readRefsInt32(dir, 'patch_embed_input', [196, 768]);
      for (const [mode, sub] of [['ideal', ''], ['hardware', 'hls']] as const) {
        const mismatched: string[] = [];
        let compared = 0;
        infer(weights, patches, {
          mode,
          types: types(),
          trace: (name, data) => {
            if (!BLOCK_OUTPUT.test(name)) return;
            compared++;
            if (formatRefs(data) !== readFileSync(join(dir, sub, `${name}.txt`), 'latin1')) mismatched.push(name);
          },
        });
        assert.equal(compared, 26, `${mode}: block outputs compared`);
        assert.deepEqual(mismatched, [], `${mode}: block outputs differing from the goldens`);
      }
    });
  }
});
