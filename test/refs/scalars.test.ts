import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isVitpipeError } from '../../src/diag/index.ts';
import { runOne } from '../../src/engine/index.ts';
import { MODEL_ZOO } from '../../src/model/index.ts';
import { loadWeights } from '../../src/refs/index.ts';
import { REFS_DIR, SKIP_NO_REFS, TYPES_FILE } from '../shared.ts';

/** A copy of the refs with one scalar file replaced. */
function refsWith(file: string, edit: (values: string[]) => void): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'vitpipe-scalars-')), 'refs');
  cpSync(REFS_DIR, dir, { recursive: true });
  const values = readFileSync(join(dir, file), 'utf8').split(',').filter((v) => v !== '');
  edit(values);
  writeFileSync(join(dir, file), values.join(',') + ',');
  return dir;
}

test('table scalars outside what the operators can use are refused, naming file, element and range', { skip: SKIP_NO_REFS }, () => {
  const cases: [string, (v: string[]) => void, RegExp][] = [
    ['attn_0_q_q_scalars.txt', (v) => (v[1] = '4000'), /attn_0_q_q_scalars\.txt: element 1 \(shift\) = 4000; expected 0 … 52/],
    ['mlp_3_lnq_scalars.txt', (v) => (v[6] = '0'), /mlp_3_lnq_scalars\.txt: element 6 \(clamp bits\) = 0; expected 1 … 32/],
    ['attn_5_softmaxq_scalars.txt', (v) => (v[7] = '-2'), /attn_5_softmaxq_scalars\.txt: element 7 \(s3_one\) = -2; expected 1 … 52/],
    ['mlp_0_scalars.txt', (v) => (v[1] = '99'), /mlp_0_scalars\.txt: element 1 \(RS\) = 99; expected 1 … 52/],
    ['patch_embed_scalars.txt', (v) => (v[0] = '0'), /patch_embed_scalars\.txt: element 0 \(shift\) = 0; expected 1 … 52/],
  ];
  for (const [file, edit, message] of cases) {
    const dir = refsWith(file, edit);
    assert.throws(() => loadWeights(dir, MODEL_ZOO['hgpipe-deit-tiny']), (e: unknown) => isVitpipeError(e) && e.diagnostic.code === 'BAD_REF_FILE' && message.test(e.message), file);
  }
});

test('a hardware-types file missing a field is an error naming block and field, not the photo', { skip: SKIP_NO_REFS }, async () => {
  const types = JSON.parse(readFileSync(TYPES_FILE, 'utf8'));
  delete types.blocks.MLP4.__gelu_cursor_t;
  const file = join(mkdtempSync(join(tmpdir(), 'vitpipe-types-')), 'types.json');
  writeFileSync(file, JSON.stringify(types));
  await assert.rejects(
    runOne({ kind: 'patches', file: join(REFS_DIR, 'patch_embed_input.txt') }, { weightsDir: REFS_DIR, typesFile: file, modes: ['hardware'] }),
    (e: unknown) => isVitpipeError(e) && e.diagnostic.code === 'BAD_ARGUMENT' && /block MLP4 has no width for __gelu_cursor_t/.test(e.message),
  );
});
