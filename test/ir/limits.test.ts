import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DESIGN_LIMITS, hgpipeDeitTiny, validateDesign, type Design } from '../../src/ir/index.ts';
import { badDesignMessage } from './rejection.ts';

/** HG-PIPE's design with one change (a fresh copy each time). */
function changed(edit: (d: Design) => void): Design {
  const d = structuredClone(hgpipeDeitTiny());
  edit(d);
  return d;
}

test('design sizes beyond the documented bounds are refused before any simulation, naming the field', () => {
  // Each of these crashed V8, ran without end or ended in an internal error before the bounds (found by the fuzzer).
  const stage = badDesignMessage(() => validateDesign(changed((d) => {
    const p = d.blocks[11].processes.find((q) => 'stages' in q)!;
    if ('stages' in p) p.stages.depth = 1e8;
  })), 'a pipeline 10^8 stages deep');
  assert.match(stage, /block ATTN5, process .*field stages\.depth: pipeline depth must be an integer from 1 to 65,536, got 100000000/);
  const fifo = badDesignMessage(() => validateDesign(changed((d) => { d.blocks[3].streams[0].depth = 1e12; })), 'a FIFO 10^12 deep');
  assert.match(fifo, /field depth: FIFO depth must be an integer from 1 to 4,194,304, got 1000000000000/);
  assert.match(badDesignMessage(() => validateDesign(changed((d) => { d.linkDepth = 1e12; })), 'a link FIFO 10^12 deep'), /field linkDepth: link FIFO depth must be an integer from 1 to 4,194,304/);
  const loop = badDesignMessage(() => validateDesign(changed((d) => {
    const p = d.blocks[13].processes.find((q) => 'beats' in q)!;
    if ('beats' in p) p.beats = 1e12;
  })), 'a process of 10^12 beats per image');
  assert.match(loop, /its loop bounds make [\d,]+ cycles per image; at most 67,108,864 are simulated/);
  // Every FIFO within its own bound, all of them together beyond the simulator's.
  const total = badDesignMessage(() => validateDesign(changed((d) => {
    for (const b of d.blocks) for (const s of b.streams) s.depth = DESIGN_LIMITS.fifoDepth;
  })), 'FIFOs holding more than 64 Mi beats together');
  assert.match(total, /the design's FIFOs hold [\d,]+ beats together \(power-of-two rings\), more than the simulator's 67,108,864/);
  // At the bounds themselves a design is accepted.
  validateDesign(changed((d) => {
    d.blocks[3].streams[0].depth = DESIGN_LIMITS.fifoDepth;
    const p = d.blocks[11].processes.find((q) => 'stages' in q)!;
    if ('stages' in p) p.stages.depth = DESIGN_LIMITS.stageDepth;
  }));
});
