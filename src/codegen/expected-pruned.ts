import { infer, type TokenPruner } from '../engine/index.ts';
import type { Design } from '../ir/index.ts';
import { shapeOf } from '../model/index.ts';
import { readRefsFileInt32, type HardwareTypes, type ModelWeights } from '../refs/index.ts';
import { join } from 'node:path';
import { blockIndex } from './bind.ts';
import { blockPorts } from './block.ts';
import { refsNames, type Expectation } from './expected.ts';

/**
 * Expectations of a token-pruned design. The refs hold unpruned tensors only, so every block's input and output
 * come from one run of the engine in hardware mode with the same token pruner (src/prune/tokens.ts) on the refs'
 * patch_embed_input: the tensors it traces under the refs names. An attention block with a selector outputs what
 * the MLP after it reads (`mlp_<n>_input`).
 */
export function expectTokenPruned(design: Design, w: ModelWeights, types: HardwareTypes, refsDir: string, pruner: TokenPruner): { blocks: Map<string, Expectation>; network: Expectation } {
  const cfg = w.config;
  const x = readRefsFileInt32(join(refsDir, 'patch_embed_input.txt'), [cfg.tokens, shapeOf(cfg).patchElements]);
  const traced = new Map<string, Int32Array>();
  const r = infer(w, x, { mode: 'hardware', types, maxWrapEvents: 0, tokenPruner: pruner, trace: (name, data) => traced.set(name, data.slice()) });
  const got = (name: string) => traced.get(name) ?? (() => { throw new Error(`the engine traced no ${name}`); })();
  const blocks = new Map<string, Expectation>();
  for (const b of design.blocks) {
    const names = refsNames(b);
    const output = b.processes.some((p) => p.kind === 'token-select') ? `mlp_${blockIndex(b)}_input` : names.output;
    const wraps = r.wrapTallies.filter((t) => t.block === b.name);
    // an odd token count runs in whole token pairs: the input gets a zero padding row, the padding output row is not compared
    const ports = blockPorts(b);
    const x = got(names.input);
    const inputData = new Int32Array(ports.input.tokens * ports.input.channels);
    inputData.set(x.subarray(0, Math.min(x.length, inputData.length)));
    const y = got(output);
    blocks.set(b.name, {
      name: b.name, inputRefs: names.input, outputRefs: output, hardwareVsRefs: -1, hardwareOutput: y, wraps, taps: [],
      inputData, outputTokens: y.length / ports.output.channels,
    });
  }
  const network: Expectation = {
    name: 'NETWORK', inputRefs: 'patch_embed_input', outputRefs: 'network_output', hardwareVsRefs: -1, hardwareOutput: r.logits,
    wraps: r.wrapTallies, taps: [],
  };
  return { blocks, network };
}
