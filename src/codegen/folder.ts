import { fail } from '../diag/index.ts';
import { type Block, type Design, withValidKeys } from '../ir/index.ts';
import type { QuantManifest } from '../model/index.ts';
import { bitsNeeded } from '../num/index.ts';
import type { BlockTypes } from '../ops/index.ts';
import type { HardwareTypes, ModelWeights } from '../refs/index.ts';
import { bindProcess, blockInputField } from './bind.ts';

/**
 * Designs of a quantized folder (`vitpipe plan --model <folder>`): the checks and completions code generation needs
 * beyond HG-PIPE's design. The folder's hardware-types.json holds the widths of every typed assignment the engine
 * makes; the typedefs of values the engine never fits (table requantizer outputs, a block's input stream, the
 * softmax's codes) are completed here from the data they carry. HG-PIPE's types define all of them, so its projects
 * are unchanged.
 */

/** The folder's name and geometry must be the ones the design was planned for. */
export function checkFolderMatchesDesign(design: Design, manifest: QuantManifest, dir: string, where = design.name): void {
  const g = design.geometry;
  if (!g)
    fail('BAD_DESIGN', `design ${design.name} (model ${design.model}) records no model geometry, but --weights ${dir} is a quantized folder (${manifest.name})`, where,
      'plan the design from that folder: vitpipe plan --model <folder> --device … --out design.json');
  const m = manifest.geometry;
  const diffs = (Object.keys(m) as Array<keyof typeof m>).filter((k) => g[k] !== m[k]).map((k) => `${k} ${g[k]} vs ${m[k]}`);
  if (diffs.length)
    fail('BAD_DESIGN', `design ${design.name} was planned for model ${design.model}, whose geometry differs from the quantized folder ${dir} (${manifest.name}): ${diffs.join(', ')} (design vs folder)`, where,
      'generate with the folder the design was planned from');
  if (design.model !== manifest.name)
    fail('BAD_DESIGN', `design ${design.name} was planned for model ${design.model}, but the quantized folder ${dir} holds model ${manifest.name}`, where,
      'generate with the folder the design was planned from');
}

/**
 * A model whose token count is not a multiple of the tokens per beat (65 in 66 slots) runs one padding slot: every
 * softmax gets `validKeys` (the padding key takes no part and gets probability 0, so R·V adds nothing from it), as
 * the token-pruned designs with an odd count do. Designs without padding are returned unchanged.
 */
export function maskPaddingKeys(design: Design, realTokens: number): Design {
  if (!design.blocks.some((b) => b.processes.some((p) => p.kind === 'softmax' && p.keys > realTokens && p.validKeys === undefined))) return design;
  return { ...design, blocks: design.blocks.map((b) => (b.kind === 'attn' && !b.processes.some((p) => p.kind === 'softmax' && p.validKeys !== undefined) ? withValidKeys(b, realTokens) : b)) };
}

const typeOf = (values: ArrayLike<number>): { signed: boolean; bits: number } => {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < lo) lo = values[i];
    if (values[i] > hi) hi = values[i];
  }
  const signed = lo < 0;
  return { signed, bits: Math.max(signed ? 2 : 1, bitsNeeded(lo, signed), bitsNeeded(hi, signed)) };
};

/** The block's typedefs with the ones its processes need but the types file lacks (never changing a given one). */
export function completeBlockTypes(b: Block, weights: ModelWeights, given: BlockTypes): BlockTypes {
  const extra: Record<string, { signed: boolean; bits: number }> = {};
  const need = (field: string, t: () => { signed: boolean; bits: number }) => {
    if (!(field in given) && !(field in extra)) extra[field] = t();
  };
  const inStream = b.streams.find((s) => s.name === b.input.stream);
  // the block input: the previous block's output codes, at the width of the design's input stream
  if (inStream) need(blockInputField(b), () => ({ signed: true, bits: inStream.bits }));
  for (const p of b.processes) {
    const bind = bindProcess(b, p, weights);
    if (bind.role === 'requant') need(bind.outField, () => typeOf(bind.params.table));
    else if (bind.role === 'softmax') need(bind.outField, () => ({ signed: false, bits: bind.params.clampBits }));
    else if (bind.role === 'layernorm') need(bind.outField, () => ({ signed: true, bits: bind.params.clampBits }));
  }
  return Object.keys(extra).length ? { ...given, ...extra } : given;
}

/** completeBlockTypes for every block of the design. */
export function completeTypes(design: Design, weights: ModelWeights, types: HardwareTypes): HardwareTypes {
  const out: Record<string, BlockTypes> = { ...types };
  for (const b of design.blocks) if (types[b.name]) out[b.name] = completeBlockTypes(b, weights, types[b.name]);
  return out;
}
