/**
 * A pruned plan as one chained `Design`: PATCH_EMBED, ATTN0, MLP0, …, HEAD in network order, each block taken from
 * its token group's built blocks (renamed to its layer), with the token selector inside the attention block of
 * every selection stage (src/ir/build-select.ts), converting to the next group's stream width. The simulator runs
 * it like the unpruned network, and codegen generates it.
 */
import { fail } from '../diag/index.ts';
import type { TokenPruner } from '../engine/index.ts';
import {
  BUILTIN_DESIGNS, withTokenMerge, withValidKeys, buildAttnBlock, buildHeadBlock, buildMlpBlock, buildPatchEmbedBlock, geometriesOf, hgpipeDesignConfig, validateDesign,
  type AttnConfig, type Block, type BlockKind, type Design, type DesignConfig,
} from '../ir/index.ts';
import { MODEL_ZOO, type ViTConfig } from '../model/index.ts';
import { checkSetting, keptTokens, settingSchedule, type PruneSetting } from './config.ts';
import { planPruned, type GroupDesign, type PrunedDesign } from './plan-pruned.ts';
import { makeTokenPruner } from './tokens.ts';
import { selectorFor } from './selector.ts';
import { mergeUnitFor } from '../merge/unit.ts';
import { mergeRates } from '../merge/config.ts';
import { mergeSetting } from './merge-grid.ts';
import type { Device } from '../cost/index.ts';

const pad = (t: number, tp: number) => Math.ceil(t / tp) * tp;

/** The block as layer n (name and layer paths), when it was built for another layer of its group. */
function asLayer(b: Block, name: string, n: number): Block {
  if (b.name === name) return b;
  return { ...b, name, processes: b.processes.map((p) => ({ ...p, origin: p.origin.replace(/^blocks\.\d+\./, `blocks.${n}.`) })) };
}

function builtFor(g: GroupDesign, kind: BlockKind, n?: number): Block {
  const e = g.built.find((b) => b.kind === kind && (n === undefined || b.layers.includes(n)));
  if (!e) throw new Error(`token group ${g.tokens} has no ${kind} block${n === undefined ? '' : ` for layer ${n}`}`);
  return e.block;
}

export function prunedNetwork(model: ViTConfig, pd: PrunedDesign, setting: PruneSetting, device: Pick<Device, 'capacity'>, linkDepth = 128): Design {
  const tp = 2;
  const sched = settingSchedule(model.tokens, model.depth, setting);
  const group = (tokens: number) => pd.groups.find((g) => g.tokens === pad(tokens, tp)) ?? (() => { throw new Error(`no token group of ${tokens} tokens`); })();
  const blocks: Block[] = [builtFor(group(model.tokens), 'patch-embed')];
  for (let n = 0; n < model.depth; n++) {
    let attn = withValidKeys(asLayer(builtFor(group(sched.attn[n]), 'attn', n), `ATTN${n}`, n), sched.attn[n]);
    const stage = setting.tokens?.stages.find((s) => s.block === n);
    if (stage && sched.attn[n] !== sched.mlp[n])
      attn = selectorFor(attn, { tokensIn: sched.attn[n], keep: keptTokens(sched.attn[n], stage.keep), fuse: setting.tokens!.fuse, cpOut: group(sched.mlp[n]).lnCp }, device).block;
    if (setting.mergeTokens !== undefined && sched.attn[n] !== sched.mlp[n])
      attn = mergeUnitFor(attn, { tokensIn: sched.attn[n], merged: sched.attn[n] - sched.mlp[n], cpOut: group(sched.mlp[n]).lnCp }, device).block;
    blocks.push(attn, asLayer(builtFor(group(sched.mlp[n]), 'mlp', n), `MLP${n}`, n));
  }
  blocks.push(builtFor(group(sched.mlp[model.depth - 1]), 'head'));
  return validateDesign({ name: `${model.name} (${setting.name})`, model: model.name, blocks, linkDepth });
}

/**
 * A design built from per-block configurations (e.g. HG-PIPE's, `hgpipeDesignConfig`) for a token-pruned model:
 * every block at its layer's token count (padded to token pairs), a selector after each selection stage. Block
 * FIFO depths stay as configured (sized for the full image: enough, not minimal).
 */
export function prunedFromConfig(model: ViTConfig, cfg: DesignConfig, setting: PruneSetting): Design {
  const { g, ends } = geometriesOf(model);
  const sched = settingSchedule(model.tokens, model.depth, setting);
  const tp = cfg.attn[0].tp;
  const at = <T>(list: T[], n: number) => list[n] ?? list[list.length - 1];
  const blocks: Block[] = [buildPatchEmbedBlock(ends, cfg.patchEmbed)];
  for (let n = 0; n < model.depth; n++) {
    const a = at(cfg.attn, n);
    const m = at(cfg.mlp, n);
    const stage = setting.tokens?.stages.find((s) => s.block === n);
    const select = stage && sched.attn[n] !== sched.mlp[n]
      ? { tokensIn: sched.attn[n], keep: keptTokens(sched.attn[n], stage.keep), fuse: setting.tokens!.fuse, cpOut: m.lnCp }
      : undefined;
    let attn = withValidKeys(buildAttnBlock(`ATTN${n}`, n, { ...g, tokens: pad(sched.attn[n], tp) }, fitTokens(a, pad(sched.attn[n], tp)), select), sched.attn[n]);
    if (setting.mergeTokens !== undefined && sched.attn[n] !== sched.mlp[n])
      attn = withTokenMerge(attn, { tokensIn: sched.attn[n], merged: sched.attn[n] - sched.mlp[n], cpOut: m.lnCp });
    blocks.push(attn);
    blocks.push(buildMlpBlock(`MLP${n}`, n, { ...g, tokens: pad(sched.mlp[n], tp) }, m));
  }
  blocks.push(buildHeadBlock({ ...ends, tokens: pad(sched.mlp[model.depth - 1], tp) }, cfg.head));
  return validateDesign({ name: `${cfg.name} (${setting.name})`, model: model.name, blocks, linkDepth: cfg.linkDepth });
}

/**
 * QKᵀ's output tiling and R·V's input tiling run over the keys: at a pruned token count, the largest parallelism
 * not above the configured one that divides it in whole reshaper groups (lcm(tp, p) | tokens).
 */
function fitTokens(a: AttnConfig, tokens: number): AttnConfig {
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  const fit = (p: number) => {
    for (let d = p; d > 1; d--) if (tokens % ((a.tp / gcd(a.tp, d)) * d) === 0) return d;
    return 1;
  };
  return { ...a, qk: { ...a.qk, cop: fit(a.qk.cop) }, rv: { ...a.rv, cip: fit(a.rv.cip) }, softmaxCp: tokens % a.softmaxCp === 0 ? a.softmaxCp : 1 };
}

/** `--prune-tokens 3,6,9:0.5` (layers after whose attention tokens are selected, keep rate): fused, ties to the lower index. */
export function parseTokenOption(text: string, depth: number, fuse = true): PruneSetting {
  const m = /^\s*(\d+(?:\s*,\s*\d+)*)\s*:\s*([0-9.]+)\s*$/.exec(text);
  if (!m) fail('BAD_ARGUMENT', `expected <layers>:<keep>, e.g. 3,6,9:0.5; got '${text}'`, '--prune-tokens');
  const keep = Number(m[2]);
  const stages = m[1].split(',').map((b) => ({ block: Number(b.trim()), keep }));
  return checkSetting({ name: `keep ${keep} @ ${stages.map((s) => s.block).join(',')}`, tokens: { stages, fuse } }, depth);
}

/**
 * The design `vitpipe generate --prune-tokens` emits: with a device, the pruned planner's design for it (what
 * prune-sweep simulates); else the built-in design's block configurations rebuilt at the pruned token counts.
 */
export function tokenPrunedDesign(designName: string, option: string, device?: Device): { design: Design; setting: PruneSetting; tokenPruner: TokenPruner } {
  const { model, design, setting } = tokenReducedDesign(designName, '--prune-tokens', (depth) => parseTokenOption(option, depth), device);
  return { design, setting, tokenPruner: makeTokenPruner(setting.tokens!, model.heads, model.width) };
}

/** A built-in design's model at the token counts of `settingOf`'s setting: planned for `device`, else rebuilt from its configuration. */
function tokenReducedDesign(designName: string, flag: string, settingOf: (depth: number) => PruneSetting, device?: Device): { model: ViTConfig; design: Design; setting: PruneSetting } {
  if (!(BUILTIN_DESIGNS as readonly string[]).includes(designName))
    fail('BAD_ARGUMENT', `${flag} rebuilds a built-in design (${BUILTIN_DESIGNS.join(', ')}) or plans one with --device; '${designName}' is neither`, '--design');
  const model = MODEL_ZOO[designName];
  const setting = settingOf(model.depth);
  const design = device
    ? prunedNetwork(model, planPruned({ model, device, setting }), setting, device)
    : prunedFromConfig(model, hgpipeDesignConfig(model.depth), setting);
  return { model, design, setting };
}

/**
 * The design `vitpipe generate --merge-tokens` emits: with a device, the pruned planner's design for the schedule
 * (what merge-sweep simulates); else the built-in design's block configurations rebuilt at the merged token counts,
 * a merge unit after every merging attention block. Proportional attention is on.
 */
export function tokenMergedDesign(designName: string, option: string, device?: Device): { design: Design; setting: PruneSetting; mergeTokens: number[] } {
  const { model, design, setting } = tokenReducedDesign(designName, '--merge-tokens', (depth) => mergeSetting(option, depth), device);
  return { design, setting, mergeTokens: mergeRates(setting.mergeTokens!, model.depth) };
}
