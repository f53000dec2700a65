import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Block, buildDesign, hgpipeDeitTiny, hgpipeDesignConfig } from '../../src/ir/index.ts';
import { type ChainResult, simulateChain, type SimOptions } from '../../src/sim/index.ts';
import { buildKernel, clangVersion } from '../../src/sim/kernel/build.ts';
import { STEADY_WASM_BASE64, STEADY_WASM_CLANG } from '../../src/sim/kernel/steady-wasm.ts';
import { TINY } from '../ir/tiny.ts';

/**
 * The compiled steady step (src/sim/kernel/steady.c as WebAssembly) must decide exactly as the JavaScript path:
 * every figure of a run — per-image times, per-process cycles, FIFO peaks, deadlock reports and their cycles — equal
 * with the kernel on and off, while the kernel takes most of the steps.
 */
const tiny = buildDesign(TINY, { ...hgpipeDesignConfig(2), name: 'tiny' });
const byName = (blocks: Block[], n: string) => blocks.find((b) => b.name === n)!;
// Everything but the step counts (the kernel keeps a blocked process awake a few cycles, each a step, where the
// JavaScript path lets it sleep) and the snapshots' wall-clock time.
const withoutKernelCount = (r: ChainResult) => ({ ...r, steps: 0, compiledSteps: 0, memo: r.memo && { ...r.memo, snapshotSeconds: 0 } });

const CASES: Array<{ what: string; blocks: Block[]; opts: SimOptions }> = [
  { what: 'tiny attention block alone', blocks: [byName(tiny.blocks, 'ATTN0')], opts: { images: 3 } },
  { what: 'tiny network, memoised with rollbacks (loose gate)', blocks: tiny.blocks, opts: { images: 10, memoGate: { firstEntry: 0, images: 0 } } },
  { what: 'tiny network, every block in full', blocks: tiny.blocks, opts: { images: 4, memo: false } },
  { what: 'HG-PIPE MLP0 alone', blocks: [byName(hgpipeDeitTiny().blocks, 'MLP0')], opts: { images: 2 } },
  {
    what: 'a planted deadlock (attention residual FIFOs of 16)',
    blocks: [byName(tiny.blocks, 'ATTN0')].map((b) => ({ ...b, streams: b.streams.map((s) => (s.name.startsWith('resi_') ? { ...s, depth: 16 } : s)) })),
    opts: { images: 2 },
  },
];

describe('compiled steady kernel = JavaScript steps', () => {
  for (const c of CASES)
    it(c.what, () => {
      const compiled = simulateChain(c.blocks, tiny.linkDepth, c.opts);
      const js = simulateChain(c.blocks, tiny.linkDepth, { ...c.opts, compiled: false });
      assert.equal(js.compiledSteps, 0);
      assert.ok(compiled.compiledSteps > compiled.steps / 3, `kernel took ${compiled.compiledSteps} of ${compiled.steps} steps`);
      assert.deepEqual(withoutKernelCount(compiled), withoutKernelCount(js));
    });
  it('is not used by the reference engine or with a timeline (per-cycle accounting)', () => {
    assert.equal(simulateChain(tiny.blocks, 128, { images: 2, engine: 'reference' }).compiledSteps, 0);
    assert.equal(simulateChain(tiny.blocks, 128, { images: 2, timelineBins: 10 }).compiledSteps, 0);
  });
});

describe('steady-wasm.ts is steady.c built', () => {
  it('rebuilds byte for byte with the clang that built it (skipped without it)', (t) => {
    const here = clangVersion();
    if (here !== STEADY_WASM_CLANG) return t.skip(`the stored module was built with ${STEADY_WASM_CLANG}; this machine has ${here ?? 'no clang'}`);
    const { wasm, why } = buildKernel();
    if (!wasm) return t.skip(`cannot build WebAssembly here: ${why} (Debian: apt-get install clang lld)`);
    assert.equal(Buffer.from(wasm).toString('base64'), STEADY_WASM_BASE64, 'steady.c changed: run npm run build:kernel');
  });
});
