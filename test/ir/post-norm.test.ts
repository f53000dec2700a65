import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildDesign, designToJson, hgpipeDesignConfig, parseDesign, processCycles, processTiming, validateBlock,
  type Block, type DesignConfig, type LayerNormProcess, type Process, type RequantProcess, type SoftmaxProcess, type WeightCacheProcess,
} from '../../src/ir/index.ts';
import { modelGeometry } from '../../src/model/index.ts';
import { badDesignMessage } from './rejection.ts';
import { TINY, tinyPostNorm } from './tiny.ts';

const proc = <P extends Process>(b: Block, name: string) => b.processes.find((p) => p.name === name) as P;
const producer = (b: Block, stream: string) => b.processes.find((p) => p.outputs.includes(stream));
const consumer = (b: Block, stream: string) => b.processes.find((p) => p.inputs.includes(stream));
const bitsOf = (b: Block, stream: string) => b.streams.find((s) => s.name === stream)!.bits;

/** 8 heads of 8 channels: HG-PIPE's parallelism does not divide width 64, so the projections get their own. */
function eightHeads(headsPerUnit?: number): DesignConfig {
  const cfg = hgpipeDesignConfig(2);
  const m8 = { cip: 8, cop: 8 };
  return {
    ...cfg,
    name: 'tiny-8-heads',
    attn: cfg.attn.map((a) => ({ ...a, qkv: m8, o: m8, qk: { cip: 4, cop: 7 }, rv: { cip: 7, cop: 4 }, ...(headsPerUnit ? { headsPerUnit } : {}) })),
    mlp: cfg.mlp.map((m) => ({ ...m, fc1: m8, fc2: m8 })),
  };
}
const EIGHT = tinyPostNorm({ name: 'tiny-post-8', width: 64, heads: 8 });

describe('IR: post-norm blocks (a quantized folder’s structure)', () => {
  const model = tinyPostNorm();
  const d = buildDesign(model, { ...hgpipeDesignConfig(2), name: 'tiny-post' });
  const [attn0, mlp0, attn1, mlp1] = ['ATTN0', 'MLP0', 'ATTN1', 'MLP1'].map((n) => d.blocks.find((b) => b.name === n)!);

  it('residual fork → input requantizer → q/k/v, residual merge → LayerNorm → output; every block validates', () => {
    for (const b of d.blocks) validateBlock(b);
    for (const b of [attn0, mlp0, attn1, mlp1]) {
      assert.equal(b.norm, 'post', b.name);
      const ln = proc<LayerNormProcess>(b, 'layernorm');
      assert.deepEqual(ln.outputs, [b.output.stream], `${b.name}: the LayerNorm writes the block output`);
      assert.equal(producer(b, ln.inputs[0])?.kind, 'residual-merge');
      assert.equal(ln.inBits, 20);
      assert.equal(ln.outBits, 9);
    }
    // the input requantizer exactly where the weights have one (here: the first block of each kind)
    assert.equal(proc<RequantProcess>(attn0, 'x.quant').tableEntries, 640);
    assert.equal(consumer(attn0, proc(attn0, 'x.quant').outputs[0])?.name, 'stream_copy3');
    assert.equal(proc(attn1, 'x.quant'), undefined);
    assert.equal(consumer(attn1, 'main_sm')?.name, 'stream_copy3', 'without a requantizer the q/k/v fan-out reads the fork');
    assert.equal(proc<RequantProcess>(mlp0, 'x.quant').tableEntries, 300);
    assert.equal(consumer(mlp1, 'main_sm')?.name, 'm1.adapter_i');
    // HG-PIPE's pre-norm blocks carry no marker
    assert.equal(buildDesign(TINY, { ...hgpipeDesignConfig(2), name: 'pre' }).blocks[1].norm, undefined);
  });

  it('takes the model’s widths, activation and table sizes', () => {
    assert.equal(bitsOf(d.blocks[0], 'out'), 17, 'patch embedding output');
    assert.equal(bitsOf(attn0, 'in'), 17);
    assert.equal(bitsOf(attn1, 'in'), 9);
    assert.equal(proc<RequantProcess>(attn0, 'q.quant').inBits, 20);
    assert.equal(proc<RequantProcess>(attn0, 'k.quant').tableEntries, 810);
    const sm = proc<SoftmaxProcess>(attn0, 'softmax0');
    assert.equal(sm.inBits, 19);
    assert.deepEqual([sm.exp, sm.recip], [{ entries: 570, bits: 17 }, [{ entries: 900, bits: 17 }, { entries: 910, bits: 17 }]]);
    assert.deepEqual(proc<LayerNormProcess>(attn1, 'layernorm').rsqrt, { entries: 2049, bits: 17 });
    const act = proc<RequantProcess>(mlp0, 'relu');
    assert.deepEqual([act.fn, act.tableEntries, act.inBits], ['relu', 1200, 19]);
    assert.equal(bitsOf(d.blocks[d.blocks.length - 1], 'out'), 20, 'head accumulator');
  });

  it('records the model’s geometry and round-trips through the design JSON format', () => {
    assert.deepEqual(d.geometry, modelGeometry(model));
    assert.equal(d.model, 'tiny-post');
    assert.deepEqual(parseDesign(JSON.parse(designToJson(d))), d);
  });

  it('the LayerNorm after the residual add keeps its three-pass timing (here the slowest stage)', () => {
    const analytic = (b: Block) => Math.max(...b.processes.map(processCycles));
    assert.equal(analytic(mlp0), 14 * 3 * 48 + 1);
    assert.equal(processCycles(proc(mlp0, 'layernorm')), 14 * 3 * 48 + 1);
  });
});

describe('IR: many heads', () => {
  it('beyond 7 heads the head split and merge are trees: no loop makes more than 8 FIFO accesses', () => {
    const d = buildDesign(EIGHT, eightHeads());
    const attn = d.blocks[1];
    validateBlock(attn);
    for (const p of attn.processes) {
      const t = processTiming(p);
      const loops = t.style === 'loop' ? [t.loop] : t.style === 'fsm' ? t.body.flatMap((s) => (s.kind === 'loop' ? [s.loop] : [])) : [];
      for (const l of loops) assert.ok(l.accesses.length <= 8, `${p.name}: ${l.accesses.length} accesses`);
    }
    assert.deepEqual(attn.processes.filter((p) => p.kind === 'head-split' && p.name.startsWith('q.')).map((p) => p.name), ['q.split', 'q.split0', 'q.split1']);
    assert.deepEqual(attn.processes.filter((p) => p.kind === 'head-merge').map((p) => p.name).sort(), ['head_merge', 'head_merge0', 'head_merge1']);
    assert.equal(attn.processes.filter((p) => p.kind === 'softmax').length, 8);
  });

  it('heads sharing one pipeline: one K/V → QKᵀ → softmax → R·V chain per unit, k rows per token pair', () => {
    const d = buildDesign(EIGHT, eightHeads(4));
    const attn = d.blocks[1];
    validateBlock(attn);
    const sms = attn.processes.filter((p): p is SoftmaxProcess => p.kind === 'softmax');
    assert.equal(sms.length, 2);
    assert.equal(processCycles(sms[0]), 14 * 4 * 3 * 28 + 1, '4 heads × 14 token pairs × 3 passes × 28 keys');
    const cache = proc<WeightCacheProcess>(attn, 'qk0.cache_weight');
    assert.equal(cache.groups, 4);
    const tiles = (8 / 4) * (28 / 7);
    const t = processTiming(cache);
    assert.ok(t.style === 'fsm');
    const fill = t.body[0];
    assert.ok(fill.kind === 'loop');
    assert.equal(fill.loop.n, 4 * tiles, 'the fill stores every head’s tiles');
    assert.equal(proc(attn, 'k0.unpack').kind, 'reshape-unpack');
    assert.equal(processCycles(proc(attn, 'k0.unpack')), 2 * 28 * 32 + 1, 'the serialiser runs all 4 heads’ channels');
    assert.equal(attn.processes.filter((p) => p.kind === 'head-split' && p.name.startsWith('q.')).length, 1);
  });

  it('rejects a shared cache whose groups do not divide its rows, and an empty table, naming the field', () => {
    const attn = buildDesign(EIGHT, eightHeads(4)).blocks[1];
    const bad = (name: string, change: Record<string, unknown>): Block => ({ ...attn, processes: attn.processes.map((p) => (p.name === name ? { ...p, ...change } as Process : p)) });
    assert.match(badDesignMessage(() => validateBlock(bad('qk0.cache_weight', { groups: 3 })), 'block'), /process qk0\.cache_weight \(weight-cache\), field groups: .*groups = 3 must divide them/);
    assert.match(badDesignMessage(() => validateBlock(bad('softmax0', { exp: { entries: 0, bits: 17 } })), 'block'), /process softmax0 \(softmax\), field exp: a table needs a positive whole number of entries, got 0/);
  });
});
