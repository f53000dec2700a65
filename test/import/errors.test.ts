import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { float32Tensor, writeSafetensors } from '../../src/checkpoint/index.ts';
import { global, pickle, reduce, torchZip } from '../checkpoint/fixtures.ts';
import { CIFAR_CHECKPOINT, CIFAR_IMPORT_FLAGS, SKIP_NO_CIFAR, vitpipe } from '../shared.ts';


/** One line of error (plus an optional hint line), exit 1, no stack trace, and no output folder or temporary left. */
function assertCleanFailure(r: ReturnType<typeof vitpipe>, dir: string, out: string, pattern: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.ok(r.stderr.trim().split('\n').filter((l) => !l.startsWith('  hint:')).length === 1, r.stderr);
  assert.equal(existsSync(out), false, 'no output folder is left behind');
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.')), [], 'no temporary left behind');
}

describe('vitpipe import: bad input is refused cleanly', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitpipe-import-bad-'));
  const out = join(dir, 'out');

  test('a checkpoint whose pickle asks for os.system is refused, and nothing runs', () => {
    const marker = join(dir, 'pwned');
    const pkl = pickle(reduce(global('os', 'system'), `touch ${marker}`));
    const file = join(dir, 'evil.pth');
    writeFileSync(file, torchZip(pkl, {}));
    const r = vitpipe('import', '--from', file, '--heads', '2', '--out', out);
    assertCleanFailure(r, dir, out, /UNSAFE_CHECKPOINT.*evil\.pth.*'os\.system'.*nothing was executed/);
    assert.equal(existsSync(marker), false, 'the command in the pickle did not run');
  });

  test('truncated zip, damaged pickle and malformed safetensors: one-line errors naming the file', { skip: SKIP_NO_CIFAR }, () => {
    const whole = readFileSync(CIFAR_CHECKPOINT);
    for (const [name, bytes] of [
      ['cut.pth', whole.subarray(0, Math.floor(whole.length / 2))],
      ['cut-early.pth', whole.subarray(0, 600)],
      ['tail.pth', whole.subarray(whole.length - 100)],
    ] as const) {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      assertCleanFailure(vitpipe('import', '--from', file, ...CIFAR_IMPORT_FLAGS, '--out', out), dir, out, new RegExp(`BAD_CHECKPOINT.*${name.replace('.', '\\.')}`));
    }
  });

  test('malformed safetensors and non-checkpoints', () => {
    const good = writeSafetensors(new Map([['w', float32Tensor([2], Float32Array.from([1, 2]))]]));
    const cases: [string, Uint8Array][] = [
      ['short.safetensors', good.subarray(0, good.length - 3)],
      ['header.safetensors', Buffer.concat([Buffer.from([255, 255, 0, 0, 0, 0, 0, 0]), Buffer.from('{}')])],
      ['notes.pth', Buffer.from('just some text, not a checkpoint')],
      ['empty.pth', new Uint8Array(0)],
    ];
    for (const [name, bytes] of cases) {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      assertCleanFailure(vitpipe('import', '--from', file, '--heads', '2', '--out', out), dir, out, new RegExp(`BAD_CHECKPOINT.*${name.replace('.', '\\.')}`));
    }
    assertCleanFailure(vitpipe('import', '--from', join(dir, 'absent.pth'), '--heads', '2', '--out', out), dir, out, /IO_ERROR.*absent\.pth/);
  });

  test('a checkpoint without a ViT says what it looked for; what shapes cannot tell is asked for by name', { skip: SKIP_NO_CIFAR }, () => {
    const file = join(dir, 'not-vit.safetensors');
    writeFileSync(file, writeSafetensors(new Map([['conv1.weight', float32Tensor([4, 3, 3, 3], new Float32Array(108))]])));
    assertCleanFailure(vitpipe('import', '--from', file, '--heads', '2', '--out', out), dir, out, /BAD_CHECKPOINT.*no nn\.TransformerEncoder layers.*conv1\.weight/);
    const noHeads = vitpipe('import', '--from', CIFAR_CHECKPOINT, '--out', out);
    assertCleanFailure(noHeads, dir, out, /cannot tell from the checkpoint; give: --heads N/);
    const wrongSize = vitpipe('import', '--from', CIFAR_CHECKPOINT, '--heads', '8', '--image-size', '224', '--out', out);
    assertCleanFailure(wrongSize, dir, out, /--image-size 224 does not match the checkpoint: 64 patches of 4×4 make 32×32/);
    const badHeads = vitpipe('import', '--from', CIFAR_CHECKPOINT, '--heads', '7', '--out', out);
    assertCleanFailure(badHeads, dir, out, /--heads 7 does not divide the width 128/);
    const badRename = vitpipe('import', '--from', CIFAR_CHECKPOINT, '--heads', '8', '--rename', 'nothing.here=head', '--out', out);
    assertCleanFailure(badRename, dir, out, /no tensor is called 'nothing\.here'/);
    const badClasses = vitpipe('import', '--from', CIFAR_CHECKPOINT, '--heads', '8', '--classes', 'a,b,c', '--out', out);
    assertCleanFailure(badClasses, dir, out, /3 class names given, the head has 10 classes/);
  });

  test('a distilled DeiT is refused with a message', () => {
    const file = join(dir, 'distilled.safetensors');
    writeFileSync(file, writeSafetensors(new Map([['dist_token', float32Tensor([1, 1, 4], new Float32Array(4))]])));
    assertCleanFailure(vitpipe('import', '--from', file, '--heads', '2', '--out', out), dir, out, /distillation token/);
  });

  test('an existing folder that is not a model folder is never overwritten; a model folder is replaced whole', { skip: SKIP_NO_CIFAR }, () => {
    const precious = join(dir, 'precious');
    mkdirSync(precious);
    writeFileSync(join(precious, 'thesis.tex'), 'years of work');
    const r = vitpipe('import', '--from', CIFAR_CHECKPOINT, ...CIFAR_IMPORT_FLAGS, '--out', precious);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not a vitpipe model folder; refusing to overwrite/);
    assert.equal(readFileSync(join(precious, 'thesis.tex'), 'utf8'), 'years of work');

    const model = join(dir, 'model');
    assert.equal(vitpipe('import', '--from', CIFAR_CHECKPOINT, ...CIFAR_IMPORT_FLAGS, '--out', model).code, 0);
    const again = vitpipe('import', '--from', CIFAR_CHECKPOINT, ...CIFAR_IMPORT_FLAGS, '--name', 'renamed', '--out', model, '--json');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(readFileSync(join(model, 'model.json'), 'utf8')).name, 'renamed');
    assert.deepEqual(readdirSync(model).sort(), ['model.json', 'weights.safetensors']);
  });

  test('a damaged model folder is reported by name when run', { skip: SKIP_NO_CIFAR }, () => {
    const model = join(dir, 'damaged');
    assert.equal(vitpipe('import', '--from', CIFAR_CHECKPOINT, ...CIFAR_IMPORT_FLAGS, '--out', model).code, 0);
    const manifest = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8'));
    manifest.geometry.heads = 'eight';
    writeFileSync(join(model, 'model.json'), JSON.stringify(manifest));
    const r = vitpipe('infer', '--weights', model, '--image', 'test/fixtures-none.png');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /BAD_MODEL.*model\.json.*geometry\.heads/);
  });
});
