import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { PyDict, PySet, isTuple, loadCheckpoint, readTorchCheckpoint, unpickle, type GlobalHandler } from '../../src/checkpoint/index.ts';
import { torchGlobals } from '../../src/checkpoint/torch-globals.ts';
import { VitpipeError } from '../../src/diag/index.ts';
import { diagnosticOf, dict, global, pickle, reduce, stateDict, torchTensor, torchZip, tuple } from './fixtures.ts';

const FILE = 'fixture.pkl';
const NONE = new Map<string, GlobalHandler>();
const S0 = { cls: 'FloatStorage', key: '0', numel: 12 };

/** Python values in a comparable form: dicts as [key, value] lists, sets sorted, tuples marked. */
function plain(v: unknown): unknown {
  if (v instanceof PyDict) return { dict: [...v.map].map(([k, x]) => [plain(k), plain(x)]) };
  if (v instanceof PySet) return { [v.frozen ? 'frozenset' : 'set']: [...v.items].map(plain).sort() };
  if (Array.isArray(v)) return isTuple(v) ? { tuple: v.map(plain) } : (v as unknown[]).map(plain);
  if (v instanceof Uint8Array) return { bytes: [...v] };
  return v;
}

/**
 * Python 3.11's pickle.dumps(obj, protocol=p) of
 *   lst = [7, 8]
 *   obj = {'a': [1, -2, 3.5, None, True, False, 300, 70000, -70000], 'b': (1, 2, 3), 'bytes': b'\x00\xff',
 *          'text': 'h\xe9llo \u2603\n"q\'', 'big': 2**70, 'neg': -2**40, 'set': {1, 2}, 'fs': frozenset({3}),
 *          'nested': {'t1': (5,), 'e': (), 'el': [], 'inf': float('inf')}, 'shared': lst, 'again': lst, 7: 'int key'}
 * Protocol 0 is text opcodes (INT, LONG, FLOAT, UNICODE, PUT/GET); 2 writes bytes and sets through _codecs.encode and
 * __builtin__.set; 4 adds framing, MEMOIZE, EMPTY_SET/ADDITEMS, FROZENSET.
 */
const PYTHON_PICKLES: Record<number, string> = {
  0: 'KGRwMApWYQpwMQoobHAyCkkxCmFJLTIKYUYzLjUKYU5hSTAxCmFJMDAKYUkzMDAKYUk3MDAwMAphSS03MDAwMAphc1ZiCnAzCihJMQpJMgpJMwp0cDQKc1ZieXRlcwpwNQpjX2NvZGVjcwplbmNvZGUKcDYKKFZcdTAwMDD/CnA3ClZsYXRpbjEKcDgKdHA5ClJwMTAKc1Z0ZXh0CnAxMQpWaOlsbG8gXHUyNjAzXHUwMDBhInEnCnAxMgpzVmJpZwpwMTMKTDExODA1OTE2MjA3MTc0MTEzMDM0MjRMCnNWbmVnCnAxNApMLTEwOTk1MTE2Mjc3NzZMCnNWc2V0CnAxNQpjX19idWlsdGluX18Kc2V0CnAxNgooKGxwMTcKSTEKYUkyCmF0cDE4ClJwMTkKc1ZmcwpwMjAKY19fYnVpbHRpbl9fCmZyb3plbnNldApwMjEKKChscDIyCkkzCmF0cDIzClJwMjQKc1ZuZXN0ZWQKcDI1CihkcDI2ClZ0MQpwMjcKKEk1CnRwMjgKc1ZlCnAyOQoodHNWZWwKcDMwCihscDMxCnNWaW5mCnAzMgpGaW5mCnNzVnNoYXJlZApwMzMKKGxwMzQKSTcKYUk4CmFzVmFnYWluCnAzNQpnMzQKc0k3ClZpbnQga2V5CnAzNgpzLg==',
  2: 'gAJ9cQAoWAEAAABhcQFdcQIoSwFK/v///0dADAAAAAAAAE6IiU0sAUpwEQEASpDu/v9lWAEAAABicQNLAUsCSwOHcQRYBQAAAGJ5dGVzcQVjX2NvZGVjcwplbmNvZGUKcQZYAwAAAADDv3EHWAYAAABsYXRpbjFxCIZxCVJxClgEAAAAdGV4dHELWA4AAABow6lsbG8g4piDCiJxJ3EMWAMAAABiaWdxDYoJAAAAAAAAAABAWAMAAABuZWdxDooGAAAAAAD/WAMAAABzZXRxD2NfX2J1aWx0aW5fXwpzZXQKcRBdcREoSwFLAmWFcRJScRNYAgAAAGZzcRRjX19idWlsdGluX18KZnJvemVuc2V0CnEVXXEWSwNhhXEXUnEYWAYAAABuZXN0ZWRxGX1xGihYAgAAAHQxcRtLBYVxHFgBAAAAZXEdKVgCAAAAZWxxHl1xH1gDAAAAaW5mcSBHf/AAAAAAAAB1WAYAAABzaGFyZWRxIV1xIihLB0sIZVgFAAAAYWdhaW5xI2giSwdYBwAAAGludCBrZXlxJHUu',
  3: 'gAN9cQAoWAEAAABhcQFdcQIoSwFK/v///0dADAAAAAAAAE6IiU0sAUpwEQEASpDu/v9lWAEAAABicQNLAUsCSwOHcQRYBQAAAGJ5dGVzcQVDAgD/cQZYBAAAAHRleHRxB1gOAAAAaMOpbGxvIOKYgwoicSdxCFgDAAAAYmlncQmKCQAAAAAAAAAAQFgDAAAAbmVncQqKBgAAAAAA/1gDAAAAc2V0cQtjYnVpbHRpbnMKc2V0CnEMXXENKEsBSwJlhXEOUnEPWAIAAABmc3EQY2J1aWx0aW5zCmZyb3plbnNldApxEV1xEksDYYVxE1JxFFgGAAAAbmVzdGVkcRV9cRYoWAIAAAB0MXEXSwWFcRhYAQAAAGVxGSlYAgAAAGVscRpdcRtYAwAAAGluZnEcR3/wAAAAAAAAdVgGAAAAc2hhcmVkcR1dcR4oSwdLCGVYBQAAAGFnYWlucR9oHksHWAcAAABpbnQga2V5cSB1Lg==',
  4: 'gASV7QAAAAAAAAB9lCiMAWGUXZQoSwFK/v///0dADAAAAAAAAE6IiU0sAUpwEQEASpDu/v9ljAFilEsBSwJLA4eUjAVieXRlc5RDAgD/lIwEdGV4dJSMDmjDqWxsbyDimIMKInEnlIwDYmlnlIoJAAAAAAAAAABAjANuZWeUigYAAAAAAP+MA3NldJSPlChLAUsCkIwCZnOUKEsDkZSMBm5lc3RlZJR9lCiMAnQxlEsFhZSMAWWUKYwCZWyUXZSMA2luZpRHf/AAAAAAAAB1jAZzaGFyZWSUXZQoSwdLCGWMBWFnYWlulGgYSweMB2ludCBrZXmUdS4=',
};

const EXPECTED = {
  dict: [
    ['a', [1, -2, 3.5, null, true, false, 300, 70000, -70000]],
    ['b', { tuple: [1, 2, 3] }],
    ['bytes', { bytes: [0, 255] }],
    ['text', 'h\u00e9llo \u2603\n"q\''],
    ['big', 2n ** 70n],
    ['neg', -(2 ** 40)],
    ['set', { set: [1, 2] }],
    ['fs', { frozenset: [3] }],
    ['nested', { dict: [['t1', { tuple: [5] }], ['e', { tuple: [] }], ['el', []], ['inf', Infinity]] }],
    ['shared', [7, 8]],
    ['again', [7, 8]],
    [7, 'int key'],
  ],
};

const bytesOf = (...parts: (number[] | string)[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : p)));

describe('restricted unpickler', () => {
  for (const [protocol, b64] of Object.entries(PYTHON_PICKLES)) {
    test(`decodes CPython's protocol ${protocol} pickle of plain containers`, () => {
      const v = unpickle(Buffer.from(b64, 'base64'), { file: FILE, globals: torchGlobals(FILE).globals });
      assert.deepEqual(plain(v), EXPECTED);
      const d = v as PyDict;
      assert.equal(d.map.get('shared'), d.map.get('again'), 'a memoised object is shared, not copied');
    });
  }
  test('the remaining opcodes: STRING/BINSTRING, BINBYTES, 8-byte lengths, LONG4, DUP, POP, POP_MARK, LONG_BINPUT/GET', () => {
    const pkl = bytesOf(
      [0x80, 5, 0x95, 8, 0, 0, 0, 0, 0, 0, 0], // PROTO 5, FRAME 8
      '(', // MARK (the list's items)
      "S'a\\x41\\n\\'\\101'\n", // STRING with escapes → "aA\n'A"
      [0x54, 2, 0, 0, 0], 'hi', // BINSTRING
      [0x55, 1], 'x', // SHORT_BINSTRING
      [0x42, 3, 0, 0, 0, 1, 2, 3], // BINBYTES
      [0x8d, 2, 0, 0, 0, 0, 0, 0, 0], 'ok', // BINUNICODE8
      [0x8e, 1, 0, 0, 0, 0, 0, 0, 0, 9], // BINBYTES8
      [0x96, 1, 0, 0, 0, 0, 0, 0, 0, 8], // BYTEARRAY8
      [0x8b, 2, 0, 0, 0, 0x00, 0x80], // LONG4: -32768
      'I-5\n', 'L99L\n', 'F-0.25\n', // text INT, LONG, FLOAT
      [0x4b, 1, 0x32, 0x30], // BININT1 1, DUP, POP (leaves one 1)
      '(', [0x4b, 2, 0x4b, 3], '1', // MARK, two items, POP_MARK drops them
      [0x4b, 4, 0x72, 0, 1, 0, 0, 0x30, 0x6a, 0, 1, 0, 0], // LONG_BINPUT 256, POP, LONG_BINGET 256
      'Vsnow \\u2603\n', // UNICODE (raw-unicode-escape)
      'l', // LIST from the mark
      [0x98, 0x2e], // READONLY_BUFFER (no-op), STOP
    );
    const v = unpickle(pkl, { file: FILE, globals: NONE });
    assert.deepEqual(plain(v), ["aA\n'A", 'hi', 'x', { bytes: [1, 2, 3] }, 'ok', { bytes: [9] }, { bytes: [8] }, -32768, -5, 99, -0.25, 1, 4, 'snow \u2603']);
  });
  test('allowed globals are called through their handlers only: REDUCE, NEWOBJ, INST, OBJ, BUILD, persistent ids', () => {
    const calls: string[] = [];
    const globals = new Map<string, GlobalHandler>([
      ['m.make', { call: (args) => (calls.push(`make${JSON.stringify(args)}`), { made: args.length }), build: (o, s) => (calls.push(`build ${String(s)}`), o) }],
    ]);
    const pkl = bytesOf(
      [0x80, 2, 0x28], // PROTO, MARK (outer list)
      'cm\nmake\n', [0x4b, 1, 0x85, 0x52], // GLOBAL, (1,), REDUCE
      'cm\nmake\n', [0x29, 0x81, 0x4e, 0x62], // GLOBAL, (), NEWOBJ, None, BUILD
      '(', [0x4b, 2], 'im\nmake\n', // MARK 2 INST
      '(', 'cm\nmake\n', [0x4b, 3, 0x4b, 4, 0x6f], // MARK cls 3 4 OBJ
      [0x4b, 5, 0x51], 'P6\n', 'l.', // BINPERSID 5, PERSID '6', LIST, STOP
    );
    const v = unpickle(pkl, { file: FILE, globals, persistentLoad: (pid) => `storage ${String(pid)}` });
    assert.deepEqual(v, [{ made: 1 }, { made: 0 }, { made: 1 }, { made: 2 }, 'storage 5', 'storage 6']);
    assert.deepEqual(calls, ['make[1]', 'make[]', 'build null', 'make[2]', 'make[3,4]']);
  });
});

describe('the unpickler refuses code', () => {
  test("GLOBAL os.system + REDUCE is refused, naming 'os.system', and nothing runs", () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitpipe-pickle-'));
    const marker = join(dir, 'pwned');
    const exploit = pickle(reduce(global('os', 'system'), `touch ${marker}`));
    for (const read of [
      () => unpickle(exploit, { file: FILE, globals: torchGlobals(FILE).globals }),
      () => readTorchCheckpoint(FILE, torchZip(exploit, {})),
      () => {
        writeFileSync(join(dir, 'evil.pth'), torchZip(exploit, {}));
        return loadCheckpoint(join(dir, 'evil.pth'));
      },
    ]) {
      const d = diagnosticOf(read);
      assert.equal(d.code, 'UNSAFE_CHECKPOINT');
      assert.match(d.message, /^refuses global 'os\.system' \(only collections\.OrderedDict, .* are allowed\); nothing was executed$/);
    }
    assert.equal(existsSync(marker), false, 'the command must not have run');
  });
  test('STACK_GLOBAL builtins.eval, __builtin__.eval, INST and NEWOBJ of unknown classes are refused the same way', () => {
    const cases: [Uint8Array, string][] = [
      [pickle(reduce(global('builtins', 'eval', true), '1+1')), 'builtins.eval'],
      [pickle(reduce(global('__builtin__', 'eval'), '1+1')), 'builtins.eval'],
      [bytesOf([0x80, 2, 0x28], "S'id'\n", 'ios\nsystem\n.'), 'os.system'],
      [bytesOf([0x80, 2], 'csubprocess\nPopen\n', [0x29, 0x81, 0x2e]), 'subprocess.Popen'],
      [bytesOf([0x80, 2], 'ctorch\nload\n.'), 'torch.load'],
    ];
    for (const [pkl, name] of cases) {
      const d = diagnosticOf(() => unpickle(pkl, { file: FILE, globals: torchGlobals(FILE).globals }));
      assert.equal(d.code, 'UNSAFE_CHECKPOINT');
      assert.ok(d.message.startsWith(`refuses global '${name}'`), d.message);
      assert.equal(d.where, FILE);
    }
  });
  test('calling or building anything but an allowed handler is malformed, not executed', () => {
    const cases: [Uint8Array, RegExp][] = [
      [bytesOf([0x80, 2], "S'os.system'\n", [0x29, 0x52, 0x2e]), /REDUCE on a str, which is not callable here/],
      [bytesOf([0x80, 2], 'ctorch\nFloatStorage\n', [0x29, 0x52, 0x2e]), /REDUCE on a torch.FloatStorage, which is not callable/],
      [bytesOf([0x80, 2, 0x7d, 0x7d, 0x62, 0x2e]), /BUILD on a dict, which takes no state here/],
      [bytesOf([0x80, 2, 0x4b, 1, 0x51, 0x2e]), /persistent id, but this file has no persistent storage/],
      [bytesOf([0x80, 2, 0x82, 1, 0x2e]), /extension registry/],
    ];
    for (const [pkl, message] of cases) {
      const d = diagnosticOf(() => unpickle(pkl, { file: FILE, globals: torchGlobals(FILE).globals }));
      assert.equal(d.code, 'BAD_CHECKPOINT');
      assert.match(d.message, message);
    }
  });
});

describe('malformed pickles', () => {
  const bad = (pkl: Uint8Array) => diagnosticOf(() => unpickle(pkl, { file: FILE, globals: NONE }));
  test('an unknown opcode is named with its byte offset', () => {
    const d = bad(bytesOf([0x80, 2, 0x4e, 0xff, 0x2e]));
    assert.equal(d.code, 'BAD_CHECKPOINT');
    assert.equal(d.message, 'malformed pickle at byte 3: unknown opcode 0xff');
  });
  test('a pickle cut anywhere is a truncated pickle, never a crash', () => {
    const full = pickle(tuple('state', [1, 2, 3].length, 2n ** 70n, 'x'.repeat(300), new Uint8Array([1, 2])));
    for (let n = 0; n < full.length; n++) {
      const d = bad(full.subarray(0, n));
      assert.equal(d.code, 'BAD_CHECKPOINT');
      assert.match(d.message, /^truncated pickle at byte \d+/, `cut at ${n}: ${d.message}`);
      assert.equal(d.where, FILE);
    }
    assert.match(bad(bytesOf([0x80, 2, 0x58, 0xff, 0xff, 0xff, 0x7f])).message, /^truncated pickle at byte 7/);
    assert.match(bad(bytesOf([0x80, 2, 0x8d, 0, 0, 0, 0, 0, 0, 0, 0x80])).message, /^truncated pickle at byte 11/);
  });
  test('stack, mark and memo misuse, bad protocol and oversized integers are reported', () => {
    const cases: [Uint8Array, RegExp][] = [
      [bytesOf([0x80, 2, 0x2e]), /byte 2: stack underflow/],
      [bytesOf([0x80, 2, 0x4e, 0x28, 0x85, 0x2e]), /byte 4: stack underflow/],
      [bytesOf([0x80, 2, 0x74, 0x2e]), /no MARK to pop to/],
      [bytesOf([0x80, 2, 0x68, 5, 0x2e]), /memo key 5 was never stored/],
      [bytesOf([0x80, 9, 0x2e]), /unsupported pickle protocol 9/],
      [bytesOf([0x80, 2, 0x4e, 0x61, 0x2e]), /stack underflow/],
      [bytesOf([0x80, 2, 0x4e, 0x4e, 0x61, 0x2e]), /APPEND to a None, not a list/],
      [bytesOf([0x80, 2, 0x7d, 0x5d, 0x4e, 0x73, 0x2e]), /unhashable dict key of type list/],
      [bytesOf([0x80, 2, 0x8b, 0xff, 0xff, 0xff, 0x7f]), /LONG4 of 2147483647 bytes/],
      [bytesOf([0x80, 2], 'Fnope\n.'), /'nope' is not a float/],
      [bytesOf([0x80, 2], 'I12x\n.'), /'12x' is not an integer/],
      [bytesOf([0x80, 2, 0x4e]), /^truncated pickle at byte 3: no STOP opcode/],
    ];
    for (const [pkl, message] of cases) assert.match(bad(pkl).message, message);
  });
  test('hostile sizes hit a limit instead of exhausting memory', () => {
    const nones = new Uint8Array(2 + (1 << 22) + 1).fill(0x4e);
    nones.set([0x80, 2]);
    assert.match(bad(nones).message, /stack deeper than 4194304/);
  });
  test('random corruption of a torch pickle (inside a valid zip) ends in a diagnostic or a result, never a crash', () => {
    const pkl = pickle(dict(['state_dict', stateDict(['a', torchTensor(S0, 0, [3, 2], [1, 3])], ['b', torchTensor(S0, 6, [2], [1])])], ['epoch', 3]));
    let seed = 1;
    const random = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let k = 0; k < 2000; k++) {
      const mutated = Uint8Array.from(pkl);
      for (let j = 0; j <= random(3); j++) mutated[random(mutated.length)] = random(256);
      try {
        readTorchCheckpoint(FILE, torchZip(mutated.subarray(0, random(8) ? mutated.length : random(mutated.length)), { '0': new Uint8Array(48) }));
      } catch (e) {
        assert.ok(e instanceof VitpipeError && e.diagnostic.where === FILE, `mutation ${k}: ${String(e)}`);
      }
    }
  });
});
