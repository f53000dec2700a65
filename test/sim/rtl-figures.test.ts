import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type Block, hgpipeDeitTiny } from '../../src/ir/index.ts';
import { simulateBlock, simulateChain } from '../../src/sim/index.ts';
import { SHARED_DIR } from '../shared.ts';

// RTL figures of HG-PIPE's blocks simulated alone (FACTS.md "Observed when the authors' per-block RTL … is
// simulated with Verilator", DATAFLOW.md §7). The simulator must reproduce them to the cycle.
const design = hgpipeDeitTiny();
const block = (name: string): Block => design.blocks.find((b) => b.name === name)!;

describe('blocks alone reproduce the RTL to the cycle', () => {
  it('MLP0: first output 1,584, image 0 done at 58,031, interval 56,449, input intervals 56,064 then 56,449', () => {
    const r = simulateBlock(block('MLP0'), 3);
    assert.equal(r.firstOutput, 1584);
    assert.equal(r.firstImageLatency, 58031);
    assert.equal(r.steadyInterval, 56449);
    assert.deepEqual(r.inputIntervals.slice(0, 2), [56064, 56449]);
  });
  it('PATCH_EMBED: first output 403, image 0 done at 56,818, interval 56,449, first input interval 55,884', () => {
    const r = simulateBlock(block('PATCH_EMBED'), 3);
    assert.equal(r.firstOutput, 403);
    assert.equal(r.firstImageLatency, 56818);
    assert.equal(r.steadyInterval, 56449);
    assert.equal(r.inputIntervals[0], 55884);
  });
  it('HEAD: first logit 601, image 0 done at 48,412, interval 48,001, input intervals 18,816, 18,817, 29,761, 48,001', () => {
    const r = simulateBlock(block('HEAD'), 5);
    assert.equal(r.firstOutput, 601);
    assert.equal(r.firstImageLatency, 48412);
    assert.equal(r.steadyInterval, 48001);
    assert.deepEqual(r.inputIntervals.slice(0, 4), [18816, 18817, 29761, 48001]);
  });
  it('ATTN0: first output 60,274, image 0 done at 117,963, intervals 57,701 then 57,625, input 56,064, 56,449, 58,552, 57,625', () => {
    const r = simulateChain([block('ATTN0')], 128, { images: 3 });
    const p = r.perImage;
    assert.equal(p[0].firstInFirstOut, 60274);
    assert.equal(p[0].firstInLastOut, 117963);
    assert.equal(p[1].firstOut - p[0].firstOut, 57701);
    assert.deepEqual(r.outputIntervals, [57625, 57625]);
    assert.deepEqual(r.inputIntervals.slice(0, 4), [56064, 56449, 58552, 57625]);
  });
});

describe('drain: extra input beats needed to flush image 0 (FACTS.md)', () => {
  const flushes = (name: string, extra: number) => {
    const b = block(name);
    const r = simulateChain([b], 128, { images: 1, inputBeats: b.input.beatsPerImage + extra });
    return r.completed && r.perImage.length === 1;
  };
  for (const [name, beats] of [['MLP0', 577], ['HEAD', 194], ['PATCH_EMBED', 1]] as const)
    it(`${name} needs exactly ${beats}`, () => {
      assert.equal(flushes(name, beats), true);
      assert.equal(flushes(name, beats - 1), false);
    });
  it('ATTN0 needs exactly 19,201 (a whole image plus 385)', () => {
    assert.equal(flushes('ATTN0', 19201), true);
    assert.equal(flushes('ATTN0', 19200), false);
  });
});

describe('per-block steady intervals equal block-intervals/ of the authors’ repository', () => {
  const dir = join(SHARED_DIR, 'hgpipe', 'block-intervals');
  it('all 26 blocks', { skip: existsSync(dir) ? false : `needs ${dir} (set VITPIPE_SHARED); skipped` }, () => {
    // File ids: −1 patch embed, 0..23 alternating attention/MLP, 24 head. Identical structures are simulated once.
    const cache = new Map<string, number>();
    design.blocks.forEach((b, k) => {
      const expected = Number(readFileSync(join(dir, `${k - 1}.txt`), 'utf8').trim());
      const key = `${b.kind}:${b.processes.find((p) => p.kind === 'layernorm' && 'stages' in p)?.stages.depth}`;
      if (!cache.has(key)) cache.set(key, simulateBlock(b, 3).steadyInterval);
      assert.equal(cache.get(key), expected, b.name);
    });
  });
});

describe('the whole network reproduces the RTL to the cycle (FACTS.md, 10 images back to back)', () => {
  it('images 0 and 9: first in→last in, first out→last out, first in→first out, last in→last out, first in→last out; interval 57,625', () => {
    // Memoised (the default for networks): replays must leave every boundary beat where the full simulation puts it.
    const r = simulateChain(design.blocks, design.linkDepth, { images: 10 });
    const cols = (i: number) => {
      const p = r.perImage[i];
      return [p.firstInLastIn, p.firstOutLastOut, p.firstInFirstOut, p.lastInLastOut, p.firstInLastOut];
    };
    assert.deepEqual(cols(0), [55883, 47811, 768773, 760701, 816584]);
    assert.deepEqual(cols(9), [57624, 47811, 771109, 761296, 818920]);
    assert.equal(r.steadyInterval, 57625);
    assert.ok(r.memo && r.memo.replayed.length > 0, 'the run was memoised');
  });
});
