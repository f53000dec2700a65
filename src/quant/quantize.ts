import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fail, writeFolderAtomically } from '../diag/index.ts';
import { infer, inputToCodes } from '../engine/index.ts';
import { imageToInput, readFloatModel } from '../float/index.ts';
import { BIT_SETTINGS, QUANT_MANIFEST_FILE, isQuantizedFolder, type BitSetting, type QuantManifest } from '../model/index.ts';
import type { BlockTypes } from '../ops/index.ts';
import { formatRefs, HARDWARE_TYPES_FILE, weightsToRefs, type ModelWeights } from '../refs/index.ts';
import { buildIntegerModel } from './build.ts';
import { calibrate } from './calibrate.ts';
import { RangeRecorder } from './widths.ts';

export interface QuantizeOptions {
  bits: BitSetting;
  /** Extra bits over the calibrated range of every intermediate's width (default 1: twice the range). */
  marginBits?: number;
  /** Calibration photos used to size the widths (default: all, at most 256). */
  widthImages?: number;
  onProgress?: (stage: 'calibrate' | 'widths', done: number, total: number) => void;
}

export interface QuantizedModel {
  manifest: QuantManifest;
  weights: ModelWeights;
  types: Record<string, BlockTypes>;
  /**
   * The engine's tensors for the first calibration photo, under the reference format's names (`patch_embed_input`,
   * `attn_0_input`, `attn_0_output`, …, `network_output`): the golden data a generated HLS project's C simulation
   * checks against (`make csim REFS=<quantized folder>`).
   */
  reference: Map<string, Int32Array>;
}

/**
 * The reference tensors kept: every block's input and output, and the block-internal streams a generated testbench
 * may probe (LayerNorm, matmul and requantizer outputs) — not the per-head score and probability tensors, which are
 * large and not compared.
 */
const REFERENCE_TENSOR =
  /^(network_(input|output)|patch_embed_(input|output)|head_(input|output)|(attn|mlp)_\d+_(input|output|lnq_output|xq_output|sum|gen_[qkvo]_matmul_output|[qkv]q_output|matmul[12]_output|geluq_output))$/;

export function checkBits(bits: string): BitSetting {
  if (!(BIT_SETTINGS as readonly string[]).includes(bits))
    fail('BAD_ARGUMENT', `unknown bit setting '${bits}'; expected one of ${BIT_SETTINGS.join(', ')}`, '--bits');
  return bits as BitSetting;
}

/**
 * Post-training quantization of a float model folder to HG-PIPE's integer arithmetic: float calibration statistics
 * → integer weights, tables and scalars → the width of every intermediate from the integer model's own ranges on
 * the calibration photos (plus a margin). Deterministic for the same folder, photos and options.
 */
export async function quantizeFolder(floatDir: string, calibFiles: readonly string[], opts: QuantizeOptions): Promise<QuantizedModel> {
  const model = readFloatModel(floatDir);
  if (calibFiles.length === 0) fail('BAD_ARGUMENT', 'no calibration photos', '--calib');
  if (!model.manifest.head.norm)
    fail('BAD_MODEL', 'the quantizer needs a LayerNorm before the classifier (head.norm); this model has none', floatDir);
  const stats = await calibrate(model, calibFiles, (d, n) => opts.onProgress?.('calibrate', d, n));
  const { weights, manifest } = buildIntegerModel(model, stats, opts.bits);
  const marginBits = opts.marginBits ?? 1;
  const full: QuantManifest = { ...manifest, calibration: { images: calibFiles.length, marginBits, source: model.manifest.name } };
  // Widths: the integer model's exact ranges on (up to widthImages of) the calibration photos.
  const recorder = new RangeRecorder();
  const n = Math.min(calibFiles.length, opts.widthImages ?? 256);
  const pipeline = model.manifest.input;
  for (let i = 0; i < n; i++) {
    const codes = inputToCodes(await imageToInput(calibFiles[i], pipeline), full);
    infer(weights, codes, { arith: recorder.arithFor });
    opts.onProgress?.('widths', i + 1, n);
  }
  const reference = new Map<string, Int32Array>();
  infer(weights, inputToCodes(await imageToInput(calibFiles[0], pipeline), full), {
    trace: (name, data) => {
      if (REFERENCE_TENSOR.test(name)) reference.set(name, data.slice());
    },
  });
  full.calibration.reference = basename(calibFiles[0]);
  return { manifest: full, weights, types: recorder.types(marginBits), reference };
}

/**
 * Write a quantized folder all-or-nothing (a staging folder renamed into place); an existing quantized folder is
 * replaced only once the new one is complete, and any other non-empty folder is refused.
 */
export function writeQuantizedFolder(dir: string, q: QuantizedModel): void {
  writeFolderAtomically(dir, 'vitpipe quantized folder', isQuantizedFolder, (staging) => {
    const params = weightsToRefs(q.weights);
    for (const [name, values] of params) writeFileSync(join(staging, `${name}.txt`), formatRefs(values));
    for (const [name, values] of q.reference) if (!params.has(name)) writeFileSync(join(staging, `${name}.txt`), formatRefs(values));
    const types = { source: `vitpipe quantize ${q.manifest.bits}: calibrated ranges + ${q.manifest.calibration.marginBits} margin bit(s)`, blocks: q.types };
    writeFileSync(join(staging, HARDWARE_TYPES_FILE), JSON.stringify(types, null, 1) + '\n');
    writeFileSync(join(staging, QUANT_MANIFEST_FILE), JSON.stringify(q.manifest, null, 2) + '\n');
  });
}
