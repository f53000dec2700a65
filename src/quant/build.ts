import { gelu, type FloatModel } from '../float/index.ts';
import type { BitSetting } from '../model/index.ts';
import { quantizedConfig, type QuantManifest } from '../model/index.ts';
import { PackedWeights, type LayerNormParams, type TableQuantParams } from '../ops/index.ts';
import type { AttentionWeights, MlpWeights, ModelWeights, StaticMatmul } from '../refs/index.ts';
import type { StatsBook } from './stats.ts';
import { symmetricScale } from './stats.ts';
import { activationCodes, activationTable, layerNormTable, quantizeWeights, requantTable, residualTable, softmaxTable } from './tables.ts';

/** Bits of a setting: w8a8 → 8-bit weights, 8-bit activations. */
export function parseBits(bits: BitSetting): { weightBits: number; activationBits: number } {
  const m = /^w(\d+)a(\d+)$/.exec(bits)!;
  return { weightBits: Number(m[1]), activationBits: Number(m[2]) };
}

/** Bits outside the blocks: patch-embedding input and weights, head LayerNorm output and weights. */
const EMBED_BITS = 8;
const HEAD_BITS = 8;
/** Softmax output step: this quantile of each row's largest probability is the top code (clipping lower measured worse). */
const PMAX_QUANTILE = 0.999;
/** The wide stream after the patch embedding: its step is chosen so the calibrated range fills this many bits. */
const EMBED_OUT_BITS = 16;

/**
 * Float model + calibration statistics → the integer model (HG-PIPE's operators, SPEC §1) and the float step of
 * every integer tensor. Scales are per tensor (every requantizer table is shared by all channels); weights by MSE
 * scale search, activations by MSE clipping search on the calibration sample. docs/QUANTIZATION.md.
 */
export function buildIntegerModel(model: FloatModel, stats: StatsBook, bits: BitSetting): { weights: ModelWeights; scales: Record<string, number>; manifest: Omit<QuantManifest, 'calibration'> } {
  const fm = model.manifest;
  const g = fm.geometry;
  const { weightBits: wb, activationBits: ab } = parseBits(bits);
  const post = fm.block.norm === 'post';
  const streamBits = post ? Math.max(ab, 8) : 16;
  const D = g.width;
  const T = g.tokens;
  const eps = fm.block.eps;
  const t = (name: string): Float32Array => {
    const v = model.tensors.get(name);
    if (!v) throw new Error(`float model lacks ${name}`);
    return v;
  };
  const scales: Record<string, number> = {};
  const actScale = (name: string, bitsOf: number) => {
    const s = stats.get(name);
    return symmetricScale(s.values(), s.maxAbs(), bitsOf);
  };
  const linear = (w: Float32Array, b: Float32Array, inScale: number, name: string, rows: number, cols: number, bitsOf = wb): StaticMatmul & { accScale: number } => {
    const q = quantizeWeights(w, bitsOf);
    scales[`${name}.weight`] = q.scale;
    const accScale = inScale * q.scale;
    const bias = new Float64Array(rows);
    for (let o = 0; o < rows; o++) bias[o] = Math.round(b[o] / accScale);
    return { weights: new PackedWeights(q.codes, rows, cols), bias, accScale };
  };

  // Input codes are pixel − 128 (exact); (v/255 − mean_c)/std_c is folded into the patch embedding:
  // W'[co][c,ky,kx] = W/(255·std_c), b'[co] = b + Σ W·(128/255 − mean_c)/std_c.
  const { mean, std } = fm.input;
  const peW = t('patch_embed.weight');
  const pe0 = t('patch_embed.bias');
  const perChannel = peW.length / D / g.inChannels;
  const foldedW = new Float32Array(peW.length);
  const foldedB = new Float64Array(D);
  for (let co = 0; co < D; co++) {
    let acc = pe0[co];
    for (let c = 0; c < g.inChannels; c++)
      for (let k = 0; k < perChannel; k++) {
        const i = (co * g.inChannels + c) * perChannel + k;
        foldedW[i] = peW[i] / (255 * std[c]);
        acc += peW[i] * (128 / 255 - mean[c]) / std[c];
      }
    foldedB[co] = acc;
  }
  // Patch embedding: out = (acc + bias2d + ½) >> shift, the shift putting the calibrated range into EMBED_OUT_BITS.
  const pe = quantizeWeights(foldedW, EMBED_BITS);
  const peAcc = pe.scale; // input codes are pixels: step 1
  const embedMax = stats.get('embed').maxAbs();
  const shift = Math.max(1, Math.ceil(Math.log2(embedMax / ((2 ** (EMBED_OUT_BITS - 1) - 1) * peAcc))));
  let stream = peAcc * 2 ** shift;
  scales['patch_embed.weight'] = pe.scale;
  scales.embed = stream;
  const pos = t('pos_embed');
  const cls = t('cls_token');
  const bias2d = new Float64Array(T * D);
  for (let tok = 0; tok < T; tok++) for (let c = 0; c < D; c++) bias2d[tok * D + c] = Math.round((foldedB[c] + pos[tok * D + c]) / peAcc);
  const clsCodes = new Float64Array(D);
  // Row 0 takes the CLS token at the accumulator step: the shift applies to it too (SPEC §1.6).
  for (let c = 0; c < D; c++) clsCodes[c] = Math.round((cls[c] + pos[c]) / peAcc);
  const patchEmbed = { matmul: new PackedWeights(pe.codes, D, pe.codes.length / D), bias2d, cls: clsCodes, shift };

  /** LN+quant of rows at step `inScale` whose float variance statistics are `varName`, to `outBits` codes at `outScale`. */
  const layerNorm = (prefix: string, varName: string, inScale: number, outScale: number, outBits: number, maxAbsIn: number, epsOf = eps) => {
    const v = stats.get(varName);
    // The integer sum of squares is C·σ²/step²; the table spans the calibrated range with 10 % / 50 % slack.
    const toInt = D / (inScale * inScale);
    return layerNormTable(t(`${prefix}.weight`), t(`${prefix}.bias`), epsOf, inScale, outScale, outBits, 0.9 * v.min * toInt, 1.5 * v.max * toInt, (2 * maxAbsIn) / inScale);
  };
  /** Post-norm: block input codes → matmul codes, when they differ (always for the wide first input). */
  const inputRequant = (at: string, inScale: number, first: boolean): { inQuant?: TableQuantParams; codeScale: number } => {
    if (!first && streamBits === ab) return { codeScale: inScale };
    const codeScale = actScale(`${at}.in`, ab);
    return { inQuant: requantTable(inScale, codeScale, ab), codeScale };
  };

  /**
   * A sub-block's entry: the codes its first matmuls read. Pre-norm: LayerNorm + quant of the incoming stream (its
   * largest calibrated value `streamMax`); post-norm: the stream itself, requantized when its codes differ.
   */
  const enter = (at: string, norm: string, inScale: number, first: boolean, streamMax: number): { codeScale: number; inQuant?: TableQuantParams; ln?: LayerNormParams } => {
    let entry: { codeScale: number; inQuant?: TableQuantParams; ln?: LayerNormParams };
    if (post) entry = inputRequant(at, inScale, first);
    else {
      const codeScale = actScale(`${at}.in`, ab);
      entry = { codeScale, ln: layerNorm(norm, `${at}.var`, inScale, codeScale, ab, streamMax) };
    }
    scales[`${at}.in`] = entry.codeScale;
    return entry;
  };
  /** A sub-block's exit: post-norm, LayerNorm + quant of the residual sum to stream codes; pre-norm, the sum itself. */
  const leave = (at: string, norm: string, accScale: number): { scale: number; ln?: LayerNormParams } => {
    let exit: { scale: number; ln?: LayerNormParams } = { scale: accScale };
    if (post) {
      const scale = actScale(at, streamBits);
      exit = { scale, ln: layerNorm(norm, `${at}.var`, accScale, scale, streamBits, stats.get(`${at}.sum`).maxAbs()) };
    }
    scales[at] = exit.scale;
    return exit;
  };

  const attention: AttentionWeights[] = [];
  const mlp: MlpWeights[] = [];
  for (let i = 0; i < g.depth; i++) {
    const b = `blocks.${i}`;
    // ---- attention ----
    const at = `${b}.attn`;
    const inScale = stream;
    const entry = enter(at, `${b}.norm1`, inScale, i === 0, stats.get(i === 0 ? 'embed' : `blocks.${i - 1}.mlp`).maxAbs());
    const codeScale = entry.codeScale;
    const qkvW = t(`${b}.attn.qkv.weight`);
    const qkvB = t(`${b}.attn.qkv.bias`);
    const part = (k: number) => [qkvW.subarray(k * D * D, (k + 1) * D * D), qkvB.subarray(k * D, (k + 1) * D)] as const;
    const qkv = ['q', 'k', 'v'].map((name, k) => {
      const [w, bias] = part(k);
      const mm = linear(w, bias, codeScale, `${at}.${name}`, D, D);
      const outScale = actScale(`${at}.${name}`, ab);
      scales[`${at}.${name}`] = outScale;
      return { mm, quant: requantTable(mm.accScale, outScale, ab), outScale };
    });
    const pmax = Math.min(1, stats.get(`${at}.pmax`).quantile(PMAX_QUANTILE));
    const probScale = pmax / (2 ** ab - 1);
    scales[`${at}.probs`] = probScale;
    const softmax = softmaxTable(qkv[0].outScale * qkv[1].outScale, g.width / g.heads, T, probScale, ab);
    const headsScale = actScale(`${at}.heads`, ab);
    scales[`${at}.heads`] = headsScale;
    const aQuant = requantTable(probScale * qkv[2].outScale, headsScale, ab);
    const o = linear(t(`${b}.attn.proj.weight`), t(`${b}.attn.proj.bias`), headsScale, `${at}.proj`, D, D);
    const residual = residualTable(inScale, o.accScale);
    const exit = leave(at, `${b}.norm1`, o.accScale);
    stream = exit.scale;
    attention.push({
      ...(post ? { norm: 'post' as const, inQuant: entry.inQuant } : {}),
      ln: (entry.ln ?? exit.ln)!,
      q: qkv[0].mm, k: qkv[1].mm, v: qkv[2].mm, o,
      qQuant: qkv[0].quant, kQuant: qkv[1].quant, vQuant: qkv[2].quant, aQuant,
      softmax, residual,
    });

    // ---- MLP ----
    const mt = `${b}.mlp`;
    const mlpInScale = stream;
    const mlpEntry = enter(mt, `${b}.norm2`, mlpInScale, false, stats.get(at).maxAbs());
    const mlpCode = mlpEntry.codeScale;
    const fc1 = linear(t(`${b}.mlp.fc1.weight`), t(`${b}.mlp.fc1.bias`), mlpCode, `${mt}.fc1`, g.mlpHidden, D);
    const actStats = stats.get(`${mt}.act`);
    const codes = activationCodes(actStats.values(), actStats.min, actStats.max, ab);
    scales[`${mt}.act`] = codes.scale;
    const act = fm.block.activation === 'relu' ? (v: number) => Math.max(0, v) : gelu;
    const fc1Stats = stats.get(`${mt}.fc1`);
    const top = (2 ** ab - codes.zero) * codes.scale; // the input beyond which the code saturates
    const actTable = activationTable(fc1.accScale, act, codes, ab, Math.max(fc1Stats.min, fm.block.activation === 'relu' ? -codes.scale : -8), Math.min(Math.max(fc1Stats.max, codes.scale), top));
    const fc2 = linear(t(`${b}.mlp.fc2.weight`), t(`${b}.mlp.fc2.bias`), codes.scale, `${mt}.fc2`, D, g.mlpHidden);
    // Unsigned activation codes carry a zero point: Σ (g − z)·W = Σ g·W − z·Σ W, folded into the bias.
    if (codes.zero !== 0)
      for (let o2 = 0; o2 < D; o2++) {
        let rowSum = 0;
        for (let k = 0; k < g.mlpHidden; k++) rowSum += fc2.weights.w[o2 * g.mlpHidden + k];
        fc2.bias[o2] -= codes.zero * rowSum;
      }
    const mlpResidual = residualTable(mlpInScale, fc2.accScale);
    const mlpExit = leave(mt, `${b}.norm2`, fc2.accScale);
    stream = mlpExit.scale;
    mlp.push({
      ...(post ? { norm: 'post' as const, inQuant: mlpEntry.inQuant } : {}),
      ln: (mlpEntry.ln ?? mlpExit.ln)!,
      fc1, gelu: actTable, fc2, residual: mlpResidual,
    });
  }

  // Head: LayerNorm of the class token to HEAD_BITS codes, then the classifier.
  if (!fm.head.norm) throw new Error('a head without LayerNorm is not supported by the quantizer');
  const headScale = actScale('head.in', HEAD_BITS);
  scales['head.in'] = headScale;
  const headLn = layerNorm('head_norm', 'cls.var', stream, headScale, HEAD_BITS, stats.get('cls').maxAbs(), fm.head.eps);
  const fc = linear(t('head.weight'), t('head.bias'), headScale, 'head', g.numClasses, D, HEAD_BITS);
  scales.logits = fc.accScale;

  const manifest: Omit<QuantManifest, 'calibration'> = {
    format: 'vitpipe-quantized-model',
    version: 1,
    name: `${fm.name}-${bits}`,
    bits,
    geometry: { ...g },
    norm: fm.block.norm,
    activation: fm.block.activation,
    quant: { weightBits: wb, activationBits: ab, streamBits, embedBits: EMBED_BITS, headBits: HEAD_BITS },
    input: { ...fm.input },
    classes: fm.classes,
    scales,
  };
  const config = quantizedConfig({ ...manifest, calibration: { images: 0, marginBits: 0, source: '' } });
  return { weights: { config, patchEmbed, attention, mlp, head: { ln: headLn, fc } }, scales, manifest };
}
