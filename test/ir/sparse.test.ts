import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildDesign, designToJson, hgpipeDesignConfig, parseDesign, processCycles, sparseIterations, tileSequence, tileSparsityOf,
  validateBlock, withSparseMatmul, type Block, type MacProcess, type TileSparsity,
} from '../../src/ir/index.ts';
import { badDesignMessage } from './rejection.ts';
import { TINY } from './tiny.ts';

const tiny = buildDesign(TINY, { ...hgpipeDesignConfig(2), name: 'tiny' });
const mlp = tiny.blocks.find((b) => b.name === 'MLP0')!;
const proc = (b: Block, name: string) => b.processes.find((p) => p.name === name)!;
const m1 = proc(mlp, 'm1.mac') as MacProcess; // ci 48 / cip 12 = 4 tile columns, co 192 / cop 24 = 8 rows
/** Row r keeps columns c with (r + c) mod 3 ≠ 0; row 2 keeps nothing. */
const pattern: TileSparsity = { rows: Array.from({ length: 8 }, (_, r) => (r === 2 ? [] : [0, 1, 2, 3].filter((c) => (r + c) % 3 !== 0))) };

const rejected = (b: Block): string => badDesignMessage(() => validateBlock(b), 'block');

describe('IR: block-sparse static MACs', () => {
  const sparse = withSparseMatmul(mlp, 'm1', pattern);
  const kept = pattern.rows.reduce((s, r) => s + r.length, 0);
  it('the MAC runs one iteration per stored tile (an empty row runs one) and writes at each row end', () => {
    assert.equal(sparseIterations(pattern), kept + 1);
    const seq = tileSequence(pattern);
    assert.equal(seq.cols.length, kept + 1);
    assert.equal(seq.rowEnd.filter(Boolean).length, 8);
    const mac = proc(sparse, 'm1.mac') as MacProcess;
    assert.equal(processCycles(mac), m1.shape.tt * (kept + 1) + 1);
    assert.deepEqual(mac.weightMemory, { words: kept + 1, wordBits: m1.weightMemory.wordBits + 1 });
  });
  it('the window cache reads every input beat and replays the kept tiles, one token pair behind', () => {
    const P = Math.max(4, kept + 1);
    assert.equal(processCycles(proc(sparse, 'm1.cache_window')), (m1.shape.tt + 1) * P + 1);
  });
  it('round-trips through the design JSON format', () => {
    const d = { ...tiny, blocks: tiny.blocks.map((b) => (b === mlp ? sparse : b)) };
    assert.deepEqual(parseDesign(JSON.parse(designToJson(d))), d);
  });
  it('derives the pattern from weights: a tile is stored when any weight in it is non-zero', () => {
    const w = new Int32Array(4 * 6); // co 4, ci 6, tiles 2 × 3
    w[0 * 6 + 5] = 1; // row tile 0, column tile 2
    w[3 * 6 + 0] = -2; // row tile 1, column tile 0
    w[2 * 6 + 3] = 3; // row tile 1, column tile 1
    assert.deepEqual(tileSparsityOf(w, 4, 6, 2, 2), { rows: [[2], [0, 1]] });
  });
  it('rejects bad patterns naming block, process and field', () => {
    assert.match(rejected(withSparseMatmul(mlp, 'm1', { rows: pattern.rows.slice(1) })), /block MLP0, process m1\.cache_window \(window-cache\), field sparsity\.rows: sparsity has 7 rows but the matmul has co\/cop = 8/);
    assert.match(rejected(withSparseMatmul(mlp, 'm1', { rows: [[0, 4], ...pattern.rows.slice(1)] })), /field sparsity\.rows\[0\]\[1\]: tile column 4 outside 0\.\.3/);
    assert.match(rejected(withSparseMatmul(mlp, 'm1', { rows: [[2, 1], ...pattern.rows.slice(1)] })), /strictly ascending, got 2 then 1/);
    const mismatched = { ...sparse, processes: sparse.processes.map((p) => (p.name === 'm1.cache_window' ? { ...p, sparsity: undefined } : p)) };
    assert.match(rejected(mismatched), /process m1\.mac \(mac\), field sparsity: the MAC and its window cache m1\.cache_window must carry the same block-sparsity pattern/);
    const badRom = { ...sparse, processes: sparse.processes.map((p) => (p.name === 'm1.mac' ? { ...p, weightMemory: m1.weightMemory } : p)) };
    assert.match(rejected(badRom), /field weightMemory\.words: a block-sparse ROM holds one word per stored tile \(Σ max\(1, tiles per row\) = 19\), got 32/);
  });
});
