import assert from 'node:assert/strict';
import { blockAnalyticInterval, type Block } from '../../src/ir/index.ts';
import { simulateChain } from '../../src/sim/index.ts';
import { MODEL_ZOO, type ViTConfig } from '../../src/model/index.ts';

/** A small geometry every test can simulate quickly; HG-PIPE's parallelism divides it. */
export const TINY: ViTConfig = { ...MODEL_ZOO['hgpipe-deit-tiny'], name: 'tiny-test', imageSize: 48, patchSize: 8, width: 48, mlpRatio: 4, numClasses: 12, tokens: 28, depth: 2 };

/**
 * A post-norm, ReLU model with its own widths and table sizes, as a quantized folder would describe it (no folder
 * needed): the first block of each kind requantizes its input (`x.quant`), the others read the stream codes directly.
 */
export function tinyPostNorm(over: Partial<ViTConfig> = {}): ViTConfig {
  const base = { ...TINY, name: 'tiny-post', quant: { ...TINY.quant, weightBits: 8, activationBits: 8, residualBits: 16 }, ...over };
  const table = (entries: number, bits: number) => ({ entries, bits });
  const common = (n: number) => ({ inBits: n === 0 ? 17 : 9, outBits: 9, sumBits: 20, rsqrt: table(2048 + n, 17), ...(n === 0 ? { inQuantEntries: 640 } : {}) });
  const attn = Array.from({ length: base.depth }, (_, n) => ({
    ...common(n), qAcc: 20, kAcc: 19, vAcc: 19, oAcc: 19, scoreBits: 19, headOutBits: 18,
    qEntries: 760, kEntries: 810, vEntries: 540, aEntries: 520, exp: table(570, 17), recip: [table(900, 17), table(910, 17)] as [ReturnType<typeof table>, ReturnType<typeof table>],
  }));
  const mlp = Array.from({ length: base.depth }, (_, n) => ({ ...common(n), inBits: 9, ...(n === 0 ? { inQuantEntries: 300 } : {}), fc1Acc: 19, fc2Acc: 20, actEntries: 1200 }));
  return {
    ...base,
    hardware: {
      norm: 'post', activation: 'relu', patchEmbed: { accBits: 19, outBits: 17 }, attn, mlp,
      head: { inBits: 9, accBits: 20, rsqrt: table(3000, 17) },
    },
  };
}

/** A chain of blocks runs 3 images to completion at its slowest process's interval, the fast engine equal to the reference stepper. */
export function assertChainAtSlowest(blocks: Block[]): void {
  const fast = simulateChain(blocks, 128, { images: 3 });
  const ref = simulateChain(blocks, 128, { images: 3, engine: 'reference' });
  assert.equal(fast.completed, true);
  assert.deepEqual({ ...fast, steps: 0, compiledSteps: 0 }, { ...ref, steps: 0, compiledSteps: 0 });
  assert.equal(fast.steadyInterval, Math.max(...blocks.map((b) => blockAnalyticInterval(b).cycles)));
}
