import { infer, type InferOptions, type TokenPruner } from '../engine/index.ts';
import type { Design } from '../ir/index.ts';
import { makeTokenMerger } from '../merge/merger.ts';
import { shapeOf } from '../model/index.ts';
import { readRefsFileInt32, type HardwareTypes, type ModelWeights } from '../refs/index.ts';
import { join } from 'node:path';
import { blockIndex } from './bind.ts';
import { blockPorts } from './block.ts';
import { refsNames, type Expectation } from './expected.ts';

/** What a token-reduced design runs: token pruning (the engine's pruner) or token merging (r per layer). */
export type TokenReduction = { pruner: TokenPruner; mergeRates?: undefined } | { pruner?: undefined; mergeRates: number[] };

/**
 * Expectations of a token-pruned or token-merged design. The refs hold unreduced tensors only, so every block's input
 * and output come from one run of the engine in hardware mode with the same token pruner (src/prune/tokens.ts) or
 * token merger (src/merge, proportional attention on) on the refs' patch_embed_input: the tensors it traces under the
 * refs names. An attention block with a selector or a merge unit outputs what the MLP after it reads
 * (`mlp_<n>_input`). Merging also gives each attention block the sizes of its input tokens (after the last merge
 * before it) and of its output tokens (its size link, SizeLink).
 */
export function expectTokenReduced(design: Design, w: ModelWeights, types: HardwareTypes, refsDir: string, how: TokenReduction): { blocks: Map<string, Expectation>; network: Expectation } {
  const cfg = w.config;
  const x = readRefsFileInt32(join(refsDir, 'patch_embed_input.txt'), [cfg.tokens, shapeOf(cfg).patchElements]);
  const traced = new Map<string, Int32Array>();
  const sizesAfter = new Map<number, Int32Array>();
  const reduce: Pick<InferOptions, 'tokenPruner' | 'tokenMerger'> = how.pruner
    ? { tokenPruner: how.pruner }
    : { tokenMerger: makeTokenMerger(w, how.mergeRates, { onSizes: (n, s) => sizesAfter.set(n, s.slice()) }) };
  const r = infer(w, x, { mode: 'hardware', types, maxWrapEvents: 0, ...reduce, trace: (name, data) => traced.set(name, data.slice()) });
  const got = (name: string) => traced.get(name) ?? (() => { throw new Error(`the engine traced no ${name}`); })();
  const reduction = how.pruner ? 'token pruning' : 'token merging';
  // sizes entering attention block n: those after the last merge before it (none: every size 1, no size link)
  const sizesInto = (n: number): Int32Array | undefined => {
    for (let m = n - 1; m >= 0; m--) if (sizesAfter.has(m)) return sizesAfter.get(m);
    return undefined;
  };
  const blocks = new Map<string, Expectation>();
  for (const b of design.blocks) {
    const names = refsNames(b);
    const n = b.kind === 'attn' || b.kind === 'mlp' ? blockIndex(b) : -1;
    const output = b.processes.some((p) => p.kind === 'token-select' || p.kind === 'token-merge') ? `mlp_${n}_input` : names.output;
    const wraps = r.wrapTallies.filter((t) => t.block === b.name);
    // an odd token count runs in whole token pairs: the input gets a zero padding row, the padding output row is not compared
    const ports = blockPorts(b);
    const x = got(names.input);
    const inputData = new Int32Array(ports.input.tokens * ports.input.channels);
    inputData.set(x.subarray(0, Math.min(x.length, inputData.length)));
    const y = got(output);
    const sizes = b.kind === 'attn' && how.mergeRates ? { sizesIn: sizesInto(n), sizesOut: sizesAfter.get(n) ?? sizesInto(n) } : {};
    blocks.set(b.name, {
      name: b.name, inputRefs: names.input, outputRefs: output, hardwareVsRefs: -1, hardwareOutput: y, wraps, taps: [],
      inputData, outputTokens: y.length / ports.output.channels, reduction, ...sizes,
    });
  }
  const network: Expectation = {
    name: 'NETWORK', inputRefs: 'patch_embed_input', outputRefs: 'network_output', hardwareVsRefs: -1, hardwareOutput: r.logits,
    wraps: r.wrapTallies, taps: [], reduction,
  };
  return { blocks, network };
}
