import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openZip, readTorchCheckpoint, readZipEntry } from '../../src/checkpoint/index.ts';
import { VitpipeError } from '../../src/diag/index.ts';
import { diagnosticOf, f32Bytes, makeZip, pickle, stateDict, torchTensor, torchZip } from './fixtures.ts';

const FILE = 'fixture.pth';
const CHECKPOINT = torchZip(pickle(stateDict(['w', torchTensor({ cls: 'FloatStorage', key: '0', numel: 4 }, 0, [4], [1])])), {
  '0': f32Bytes([1, 2, 3, 4]),
});

function badZip(bytes: Uint8Array): { code: string; message: string; where?: string } {
  const d = diagnosticOf(() => readTorchCheckpoint(FILE, Buffer.from(bytes)));
  assert.equal(d.code, 'BAD_CHECKPOINT', d.message);
  assert.equal(d.where, FILE);
  return d;
}

describe('zip reader', () => {
  test('lists entries and reads stored, deflated and zip64 archives alike', () => {
    const data = new Uint8Array(5000).map((_, i) => (i * 7) % 13);
    for (const opts of [{}, { zip64: true }]) {
      const zip = openZip(makeZip([{ name: 'a/stored', data }, { name: 'a/deflated', data, deflate: true }, { name: 'a/empty', data: new Uint8Array(0) }], opts), FILE);
      assert.deepEqual(zip.entries.map((e) => [e.name, e.method, e.size]), [['a/stored', 0, 5000], ['a/deflated', 8, 5000], ['a/empty', 0, 0]]);
      for (const e of zip.entries) assert.deepEqual(readZipEntry(zip, e), e.size ? data : new Uint8Array(0));
      assert.ok(zip.entries[1].compressedSize < 5000);
    }
  });
  test('a checkpoint cut at any point is BAD_CHECKPOINT naming the file', () => {
    const cuts = [CHECKPOINT.length - 1, CHECKPOINT.length - 21, CHECKPOINT.length - 22, CHECKPOINT.length - 60, CHECKPOINT.length >> 1, 100, 30, 21, 4];
    for (const n of cuts) assert.match(badZip(CHECKPOINT.subarray(0, n)).message, /truncated zip|no end of central directory|not a zip archive/, `cut at ${n}`);
    // loadCheckpoint goes by content: still a zip (PK\3\4) when at least 4 bytes survive.
    const d = diagnosticOf(() => readTorchCheckpoint(FILE, CHECKPOINT.subarray(0, 40)));
    assert.match(d.message, /no end of central directory record in its last 40 bytes \(file is 40 bytes\)/);
  });
  test('bytes missing from the middle leave offsets pointing past the end', () => {
    const eocd = CHECKPOINT.length - 22;
    const cdOffset = CHECKPOINT.readUInt32LE(eocd + 16);
    // Drop 50 bytes of file data: the directory and EOCD survive but every offset after the cut is wrong.
    const spliced = Buffer.concat([CHECKPOINT.subarray(0, 60), CHECKPOINT.subarray(110)]);
    const d = badZip(spliced);
    assert.match(d.message, new RegExp(`truncated zip: central directory at offset ${cdOffset} \\(\\d+ bytes\\) beyond end of file \\(${spliced.length} bytes\\)`));
  });
  test('corrupt structures are each named', () => {
    const edit = (f: (b: Buffer) => void): Buffer => {
      const b = Buffer.from(CHECKPOINT);
      f(b);
      return b;
    };
    const eocd = CHECKPOINT.length - 22;
    const cd = CHECKPOINT.readUInt32LE(eocd + 16);
    const dataEntry = openZip(CHECKPOINT, FILE).byName.get('archive/data/0')!;
    const cases: [Buffer, RegExp][] = [
      [edit((b) => b.writeUInt16LE(60000, eocd + 10)), /60000 entries cannot fit in a \d+-byte central directory/],
      [edit((b) => b.writeUInt32LE(0, cd)), /no central directory entry signature at offset \d+ \(entry 0 of 4\)/],
      [edit((b) => b.writeUInt32LE(0xffffffff, eocd + 16)), /sizes say zip64 but there is no zip64 end of central directory locator/],
      [edit((b) => b.writeUInt32LE(CHECKPOINT.length, cd + 42)), /truncated zip: local header of entry 'archive\/data.pkl' at offset \d+ \(30 bytes\) beyond end of file/],
      [edit((b) => b.writeUInt16LE(12, cd + 10)), /entry 'archive\/data.pkl' uses compression method 12; only stored \(0\) and deflate \(8\) are supported/],
      [edit((b) => (b[dataEntry.localHeaderOffset + 30 + 'archive/data/0'.length] ^= 1)), /entry 'archive\/data\/0' is corrupt: CRC-32 0x[0-9a-f]{8} does not match the directory's 0x[0-9a-f]{8}/],
    ];
    for (const [bytes, message] of cases) assert.match(badZip(bytes).message, message);
  });
  test('a deflated entry that lies about its size is refused', () => {
    const zip = makeZip([{ name: 'archive/data.pkl', data: new Uint8Array(1000), deflate: true }]);
    const cd = zip.readUInt32LE(zip.length - 22 + 16);
    zip.writeUInt32LE(10, cd + 24); // claims 10 bytes uncompressed
    assert.match(badZip(zip).message, /cannot inflate entry 'archive\/data.pkl'/);
  });
  test('random corruption of the archive ends in a diagnostic or a result, never a crash', () => {
    const archives = [CHECKPOINT, torchZip(pickle(stateDict(['w', torchTensor({ cls: 'FloatStorage', key: '0', numel: 4 }, 0, [4], [1])])), { '0': f32Bytes([1, 2, 3, 4]) }, { deflate: true, zip64: true })];
    let seed = 7;
    const random = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (const archive of archives)
      for (let k = 0; k < 2000; k++) {
        const mutated = Buffer.from(archive);
        for (let j = 0; j <= random(4); j++) mutated[random(mutated.length)] = random(256);
        try {
          readTorchCheckpoint(FILE, mutated);
        } catch (e) {
          assert.ok(e instanceof VitpipeError && e.diagnostic.code === 'BAD_CHECKPOINT' && e.diagnostic.where === FILE, `mutation ${k}: ${String(e)}`);
        }
      }
  });
  test('a zip without data.pkl is not a torch checkpoint', () => {
    assert.match(badZip(makeZip([{ name: 'readme.txt', data: new Uint8Array(3) }])).message, /no data.pkl record: not a torch.save checkpoint/);
  });
});
