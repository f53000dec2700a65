/**
 * A pruned plan as one chained `Design`: PATCH_EMBED, ATTN0, MLP0, …, HEAD in network order, each block taken from
 * its token group's built blocks (renamed to its layer), with the token selector inside the attention block of
 * every selection stage (src/ir/build-select.ts), converting to the next group's stream width. The simulator runs
 * it like the unpruned network, and codegen generates it.
 */
import { validateDesign, type Block, type BlockKind, type Design } from '../ir/index.ts';
import type { ViTConfig } from '../model/index.ts';
import { keptTokens, tokenSchedule, type PruneSetting } from './config.ts';
import type { GroupDesign, PrunedDesign } from './plan-pruned.ts';
import { selectorFor } from './selector.ts';
import type { Device } from '../cost/index.ts';

const pad = (t: number, tp: number) => Math.ceil(t / tp) * tp;

/** The block as layer n (name and layer paths), when it was built for another layer of its group. */
function asLayer(b: Block, name: string, n: number): Block {
  if (b.name === name) return b;
  return { ...b, name, processes: b.processes.map((p) => ({ ...p, origin: p.origin.replace(/^blocks\.\d+\./, `blocks.${n}.`) })) };
}

function builtFor(g: GroupDesign, kind: BlockKind, n?: number): Block {
  const e = g.built.find((b) => b.kind === kind && (n === undefined || !('layers' in b) || (b as { layers: number[] }).layers.includes(n)));
  if (!e) throw new Error(`token group ${g.tokens} has no ${kind} block${n === undefined ? '' : ` for layer ${n}`}`);
  return e.block;
}

export function prunedNetwork(model: ViTConfig, pd: PrunedDesign, setting: PruneSetting, device: Pick<Device, 'capacity'>, linkDepth = 128): Design {
  const tp = 2;
  const sched = tokenSchedule(model.tokens, model.depth, setting.tokens);
  const group = (tokens: number) => pd.groups.find((g) => g.tokens === pad(tokens, tp)) ?? (() => { throw new Error(`no token group of ${tokens} tokens`); })();
  const blocks: Block[] = [builtFor(group(model.tokens), 'patch-embed')];
  for (let n = 0; n < model.depth; n++) {
    let attn = asLayer(builtFor(group(sched.attn[n]), 'attn', n), `ATTN${n}`, n);
    const stage = setting.tokens?.stages.find((s) => s.block === n);
    if (stage && sched.attn[n] !== sched.mlp[n])
      attn = selectorFor(attn, { tokensIn: sched.attn[n], keep: keptTokens(sched.attn[n], stage.keep), fuse: setting.tokens!.fuse, cpOut: group(sched.mlp[n]).lnCp }, device).block;
    blocks.push(attn, asLayer(builtFor(group(sched.mlp[n]), 'mlp', n), `MLP${n}`, n));
  }
  blocks.push(builtFor(group(sched.mlp[model.depth - 1]), 'head'));
  return validateDesign({ name: `${model.name} (${setting.name})`, model: model.name, blocks, linkDepth });
}
