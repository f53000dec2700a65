import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../diag/index.ts';
import {
  isQuantizedFolder, loadModel, quantizedConfig, QUANT_MANIFEST_FILE,
  type AttnHardware, type MlpHardware, type ModelHardware, type QuantManifest, type TableSize, type ViTConfig,
} from '../model/index.ts';
import type { LayerNormParams } from '../ops/index.ts';
import { HARDWARE_TYPES_FILE, loadHardwareTypes, type HardwareTypes, type ModelWeights } from '../refs/index.ts';
import { loadQuantizedFolder } from './quantized.ts';

/**
 * A quantized folder as the planner, the IR and the cost model see it: its ViTConfig with the model's own block
 * structure and widths (`hardware`): post- or pre-norm blocks, the input requantizer exactly where the engine's
 * weights have one (`inQuant`), the activation, every table's size (from the integer files) and every width the IR
 * needs (from hardware-types.json, the widths calibration fitted, margin included).
 */
export function loadQuantizedModel(dir: string): ViTConfig {
  const { manifest, weights } = loadQuantizedFolder(dir);
  const typesFile = join(dir, HARDWARE_TYPES_FILE);
  if (!existsSync(typesFile)) fail('BAD_MODEL', `no ${HARDWARE_TYPES_FILE} in the quantized folder`, dir, 'run `vitpipe quantize` again: it writes the widths beside the weights');
  return { ...quantizedConfig(manifest), hardware: modelHardware(manifest, weights, loadHardwareTypes(typesFile), typesFile) };
}

/** `--model`: a zoo name, a ViTConfig .json file, or a quantized folder (`vitpipe quantize`). */
export function loadModelOrFolder(nameOrPath: string): ViTConfig {
  if (isQuantizedFolder(nameOrPath)) return loadQuantizedModel(nameOrPath);
  if (isDirectory(nameOrPath))
    fail('BAD_MODEL', `${nameOrPath} is a folder without ${QUANT_MANIFEST_FILE}, not a quantized model`, '--model', 'give a folder written by `vitpipe quantize`, a zoo model name or a model .json file');
  return loadModel(nameOrPath);
}

const isDirectory = (p: string) => existsSync(p) && statSync(p).isDirectory();

/** The hardware description of a quantized model from its weights and widths. */
export function modelHardware(m: QuantManifest, w: ModelWeights, types: HardwareTypes, file = HARDWARE_TYPES_FILE): ModelHardware {
  const bitsOf = (block: string, field: string): number => {
    const t = types[block]?.[field];
    if (!t) fail('BAD_MODEL', `no width for ${field} of block ${block}`, file, 'the widths must come from the same `vitpipe quantize` run as the weights');
    return t.bits;
  };
  const rsqrt = (block: string, ln: LayerNormParams): TableSize => ({ entries: ln.rsqrt.length, bits: bitsOf(block, '__ln_rsqrt_t') });
  const post = m.norm === 'post';
  const depth = m.geometry.depth;
  const patchOut = bitsOf('PATCH_EMBED', '__of_t');
  /** What attention and MLP blocks share: the stream in and out, the post-norm requantizer and sum, the rsqrt table. */
  const residualPart = (block: string, kind: 'attn' | 'mlp', inBits: number, bw: { inQuant?: { table: Int32Array }; ln: LayerNormParams }) => ({
    inBits,
    outBits: bitsOf(block, `__${kind}_of_t`),
    ...(bw.inQuant ? { inQuantEntries: bw.inQuant.table.length } : {}),
    ...(post ? { sumBits: bitsOf(block, `__${kind}_sum_t`) } : {}),
    rsqrt: rsqrt(block, bw.ln),
  });
  const attn: AttnHardware[] = [];
  const mlp: MlpHardware[] = [];
  for (let n = 0; n < depth; n++) {
    const a = w.attention[n];
    const A = `ATTN${n}`;
    attn.push({
      ...residualPart(A, 'attn', n === 0 ? patchOut : bitsOf(`MLP${n - 1}`, '__mlp_of_t'), a),
      qAcc: bitsOf(A, '__attn_q_t'),
      kAcc: bitsOf(A, '__attn_k_t'),
      vAcc: bitsOf(A, '__attn_v_t'),
      oAcc: bitsOf(A, '__attn_o_t'),
      scoreBits: bitsOf(A, '__attn_r_t'),
      headOutBits: bitsOf(A, '__attn_a_t'),
      qEntries: a.qQuant.table.length,
      kEntries: a.kQuant.table.length,
      vEntries: a.vQuant.table.length,
      aEntries: a.aQuant.table.length,
      exp: { entries: a.softmax.exp.length, bits: bitsOf(A, '__softmax_exp_t') },
      recip: [
        { entries: a.softmax.recipOne.length, bits: bitsOf(A, '__softmax_recip_t') },
        { entries: a.softmax.recipTwo.length, bits: bitsOf(A, '__softmax_recip_t') },
      ],
    });
    const f = w.mlp[n];
    const M = `MLP${n}`;
    mlp.push({
      ...residualPart(M, 'mlp', bitsOf(A, '__attn_of_t'), f),
      fc1Acc: bitsOf(M, '__mlp_m1_t'),
      fc2Acc: bitsOf(M, '__mlp_m2_t'),
      actEntries: f.gelu.table.length,
    });
  }
  return {
    norm: m.norm,
    activation: m.activation,
    patchEmbed: { accBits: bitsOf('PATCH_EMBED', '__ml_t'), outBits: patchOut },
    attn,
    mlp,
    head: { inBits: bitsOf(`MLP${depth - 1}`, '__mlp_of_t'), accBits: bitsOf('HEAD', '__mc_t'), rsqrt: rsqrt('HEAD', w.head.ln) },
  };
}
