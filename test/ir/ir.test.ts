import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  HGPIPE_ATTN, blockAnalyticInterval, buildDesign, designToJson, hgpipeDeitTiny, hgpipeDesignConfig, parseDesign,
  printBlock, processCycles, PROCESS_KINDS,
} from '../../src/ir/index.ts';
import { MODEL_ZOO } from '../../src/model/index.ts';
import { badDesignMessage } from './rejection.ts';
import { TINY } from './tiny.ts';


const badDesign = (mutate: (doc: any) => void): string => {
  const doc = JSON.parse(designToJson(hgpipeDeitTiny()));
  mutate(doc);
  return badDesignMessage(() => parseDesign(doc, 'bad.json'), 'design');
};

describe('IR: hgpipe-deit-tiny', () => {
  const d = hgpipeDeitTiny();
  it('has the 26 blocks with the process and FIFO counts of DATAFLOW §7', () => {
    assert.equal(d.blocks.length, 26);
    const by = (n: string) => d.blocks.find((b) => b.name === n)!;
    assert.deepEqual([by('PATCH_EMBED'), by('ATTN0'), by('MLP0'), by('HEAD')].map((b) => b.processes.length), [4, 75, 14, 6]);
    const attn = by('ATTN0');
    assert.equal(attn.streams.length - 2, 83, 'ATTN0 data FIFOs (ports excluded)');
    assert.equal(attn.regions.length, 6);
    const regionEdges = attn.startEdges.length;
    assert.ok(regionEdges >= 60, `start edges ${regionEdges}`);
  });
  it('analytic block intervals are the slowest process + 1 (SPEC §4.3)', () => {
    const iv = Object.fromEntries(d.blocks.map((b) => [b.name, blockAnalyticInterval(b)]));
    assert.equal(iv.PATCH_EMBED.cycles, 56449);
    assert.equal(iv.ATTN0.cycles, 57625);
    assert.match(iv.ATTN0.process, /^softmax/);
    assert.equal(iv.MLP0.cycles, 56449);
    assert.equal(iv.MLP0.process, 'layernorm');
    assert.equal(iv.HEAD.cycles, 48001);
  });
  it('every process kind is used and has a cycle count', () => {
    const used = new Set(d.blocks.flatMap((b) => b.processes.map((p) => p.kind)));
    // token pruning's and token merging's kinds appear only in pruned / merged designs (test/ir/token-select.test.ts, token-merge.test.ts)
    const prunedOnly = new Set(['token-select', 'score-tap', 'token-merge']);
    assert.deepEqual([...used].sort(), PROCESS_KINDS.filter((k) => !prunedOnly.has(k)).sort());
    for (const b of d.blocks.slice(0, 3)) for (const p of b.processes) assert.ok(processCycles(p) > 0);
  });
  it('per-block LayerNorm depths follow the RTL (13 in ATTN1, MLP7)', () => {
    const ln = (n: string) => d.blocks.find((b) => b.name === n)!.processes.find((p) => p.name === 'layernorm') as { stages: { depth: number } };
    assert.equal(ln('ATTN0').stages.depth, 14);
    assert.equal(ln('ATTN1').stages.depth, 13);
    assert.equal(ln('MLP7').stages.depth, 13);
  });
  it('prints a stable canonical form', () => {
    const text = printBlock(d.blocks[2]);
    assert.match(text, /^block MLP0 \(mlp\) in=in×18816 out=out×18816$/m);
    assert.match(text, /^  stream resi_sm 4x15b depth=512 memory$/m);
    assert.match(text, /^  process layernorm layernorm \[main_sm\] -> \[ln_sm\] cycles=56449$/m);
    assert.match(text, /^  start resi_o_adapter -> stream_merge depth=4$/m);
  });
  it('round-trips through the design JSON format', () => {
    const back = parseDesign(JSON.parse(designToJson(d)));
    assert.deepEqual(back, d);
  });
});

describe('IR: builders for other geometries', () => {
  it('builds a smaller ViT with the same parallelism', () => {
    const d = buildDesign(TINY, { ...hgpipeDesignConfig(2), name: 'tiny' });
    assert.equal(d.blocks.length, 6);
    // LayerNorm over 48 channels (14 · 3 · 48) is slower than softmax over 28 keys here.
    assert.deepEqual(blockAnalyticInterval(d.blocks[1]), { cycles: 14 * 3 * 48 + 1, process: 'layernorm' });
  });
  it('rejects parallelism that does not divide the tensor, naming block, process and field', () => {
    const cfg = hgpipeDesignConfig(12);
    cfg.attn = cfg.attn.map((a) => ({ ...a, qk: { ...HGPIPE_ATTN.qk, cop: 5 } }));
    assert.throws(() => buildDesign(MODEL_ZOO['hgpipe-deit-tiny'], cfg), /block ATTN0, process k0\.reorder \(reshape-reorder\), field top: tokens = 196 are not a multiple of lcm\(tip 2, top 5\) = 10/);
  });
});

describe('IR: bad design files are rejected before simulation', () => {
  it('unknown process kind', () => {
    const m = badDesign((doc) => (doc.blocks[2].processes[3].kind = 'transmogrifier'));
    assert.match(m, /bad\.json: block MLP0, process layernorm, field kind: unknown process kind 'transmogrifier'/);
  });
  it('mismatched stream widths', () => {
    const m = badDesign((doc) => (doc.blocks[2].streams.find((s: any) => s.name === 'ln_sm').lanes = 3));
    assert.match(m, /block MLP0, process layernorm \(layernorm\), field outputs\[0\]: stream 'ln_sm' has 3 lanes but this port carries 2/);
  });
  it('parallelism that does not divide the tensor', () => {
    const m = badDesign((doc) => (doc.blocks[2].processes.find((p: any) => p.name === 'm1.mac').shape.cip = 7));
    assert.match(m, /block MLP0, process m1\.mac \(mac\), field (shape\.cip|inputs\[0\])/);
  });
  it('zero-depth FIFO', () => {
    const m = badDesign((doc) => (doc.blocks[1].streams.find((s: any) => s.name === 'resi_sm').depth = 0));
    assert.match(m, /block ATTN0, stream resi_sm, field depth: FIFO depth must be an integer from 1 to 4,194,304, got 0/);
  });
  it('missing field', () => {
    const m = badDesign((doc) => delete doc.blocks[3].processes[0].stages);
    assert.match(m, /block MLP0|block ATTN1/);
    assert.match(m, /field stages/);
  });
});
