import { shapeOf, type ViTConfig } from '../model/index.ts';
import {
  type LayerNormParams,
  layerNormQuant,
  matmulPacked,
  maxAbs,
  PackedWeights,
  residualMerge,
  softmaxQuant,
  tableRequant,
  type Arith,
} from '../ops/index.ts';
import type { AttentionWeights, HeadWeights, MlpWeights, PatchEmbedWeights, StaticMatmul } from '../refs/index.ts';
import { mergeHeads, splitHeads, transpose } from './layout.ts';

/** Receives every intermediate tensor under its refs file name (without `.txt`), for conformance checks and dumps. */
export type TraceSink = (name: string, data: Int32Array) => void;

/**
 * Token-pruned runs only (src/prune): the block's current token count (default cfg.tokens) and a sink for the
 * attention block's integer softmax output and QKᵀ scores, both [H][T][T]. Absent ⇒ the unpruned code path, unchanged.
 */
export interface BlockShape {
  tokens?: number;
  onProbs?: (probs: Int32Array, tokens: number, scores: Int32Array) => void;
  /** Token merging: per-key bias of the softmax (proportional attention), length `tokens`. */
  keyBias?: Int32Array;
  /** Token merging: receives the block's quantized keys [tokens][width] (the merge similarity's input). */
  onKeys?: (keys: Int32Array) => void;
}

function linear(x: Int32Array, rows: number, m: StaticMatmul, arith: Arith, field: string, op: string): Int32Array {
  const y = matmulPacked(x, rows, m.weights, m.bias);
  arith.fitAll(y, field, op);
  return y;
}

/**
 * Patch embedding (SPEC §1.6): 8-bit patches × 8-bit weights + 2-D bias (conv bias + position embedding), token 0's
 * MAC replaced by the CLS vector, then a rounding shift. Input [tokens][patchElements], output [tokens][width].
 */
export function runPatchEmbed(cfg: ViTConfig, w: PatchEmbedWeights, x: Int32Array, arith: Arith, trace?: TraceSink): Int32Array {
  const T = cfg.tokens;
  const C = cfg.width;
  trace?.('patch_embed_input', x);
  // The refs also keep the 195 real patch rows on their own (row 0 is a placeholder for the CLS token).
  trace?.('network_input', x.subarray(shapeOf(cfg).patchElements));
  trace?.('patch_embed_matmul_input', x);
  const acc = matmulPacked(x, T, w.matmul);
  for (let i = 0; i < acc.length; i++) acc[i] += w.bias2d[i];
  arith.fitAll(acc, '__ml_t', 'patch_embed_matmul');
  trace?.('patch_embed_matmul_output', acc);
  for (let c = 0; c < C; c++) acc[c] = w.cls[c];
  const half = 2 ** (w.shift - 1);
  const div = 2 ** w.shift;
  const out = new Int32Array(T * C);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor((acc[i] + half) / div);
  arith.fitAll(out, '__of_t', 'patch_embed_shift');
  trace?.('patch_embed_output', out);
  return out;
}

/** Attention block (SPEC §1.8). Input and output [tokens][width], wide residual integers. */
export function runAttention(cfg: ViTConfig, n: number, w: AttentionWeights, x: Int32Array, arith: Arith, trace?: TraceSink, shape?: BlockShape): Int32Array {
  const T = shape?.tokens ?? cfg.tokens;
  const C = cfg.width;
  const H = cfg.heads;
  const { headDim: D } = shapeOf(cfg);
  const p = `attn_${n}`;
  trace?.(`${p}_input`, x);
  const post = w.norm === 'post';
  const ln = post ? blockInputCodes(x, w, arith, p, trace) : preNorm(x, T, C, w.ln, arith, '__attn_if_t', p, trace);
  const qkv: Int32Array[] = [];
  for (const [name, mm, quant, accField, cursorField] of [
    ['q', w.q, w.qQuant, '__attn_q_t', '__qq_cursor_t'],
    ['k', w.k, w.kQuant, '__attn_k_t', '__kq_cursor_t'],
    ['v', w.v, w.vQuant, '__attn_v_t', '__vq_cursor_t'],
  ] as const) {
    trace?.(`${p}_gen_${name}_matmul_input`, ln);
    const acc = linear(ln, T, mm, arith, accField, `${name}_matmul`);
    trace?.(`${p}_gen_${name}_matmul_output`, acc);
    trace?.(`${p}_${name}q_input`, acc);
    const q = tableRequant(acc, quant, arith, cursorField, `${name}_quant`);
    trace?.(`${p}_${name}q_output`, q);
    qkv.push(q);
  }
  shape?.onKeys?.(qkv[1]);
  const [qq, kq, vq] = qkv.map((t) => splitHeads(t, T, H, D)); // each [H][T][D]
  trace?.(`${p}_gen_r_matmul_input`, qq);
  trace?.(`${p}_gen_r_matmul_weight`, kq);
  trace?.(`${p}_gen_r_matmul_weight_transpose`, transpose(kq, H, T, D));
  const scores = new Int32Array(H * T * T);
  const probs = new Int32Array(H * T * T);
  const heads = new Int32Array(H * T * D);
  const vT = transpose(vq, H, T, D); // [H][D][T]: Vᵀ per head is the R·V matmul's [CO][CI] weight
  // Every cached K/V element is an entry of its quantization table, which bounds the dynamic weights exactly.
  const kBound = maxAbs(w.kQuant.table);
  const vBound = maxAbs(w.vQuant.table);
  trace?.(`${p}_gen_a_matmul_weight`, vT);
  trace?.(`${p}_gen_a_matmul_weight_transpose`, vq);
  for (let h = 0; h < H; h++) {
    // QKᵀ: the cached K of the whole image is the dynamic weight [keys][D].
    const kWeights = new PackedWeights(kq.subarray(h * T * D, (h + 1) * T * D), T, D, { transient: true, maxAbsBound: kBound });
    const r = matmulPacked(qq.subarray(h * T * D, (h + 1) * T * D), T, kWeights);
    scores.set(r, h * T * T);
  }
  arith.fitAll(scores, '__attn_r_t', 'qk_matmul');
  trace?.(`${p}_gen_r_matmul_output`, scores);
  trace?.(`${p}_softmaxq_input`, scores);
  probs.set(softmaxQuant(scores, H * T, T, w.softmax, arith, shape?.keyBias));
  trace?.(`${p}_softmaxq_output`, probs);
  shape?.onProbs?.(probs, T, scores);
  trace?.(`${p}_gen_a_matmul_input`, probs);
  for (let h = 0; h < H; h++) {
    const vWeights = new PackedWeights(vT.subarray(h * D * T, (h + 1) * D * T), D, T, { transient: true, maxAbsBound: vBound });
    heads.set(matmulPacked(probs.subarray(h * T * T, (h + 1) * T * T), T, vWeights), h * T * D);
  }
  arith.fitAll(heads, '__attn_a_t', 'rv_matmul');
  trace?.(`${p}_gen_a_matmul_output`, heads);
  trace?.(`${p}_aq_input`, heads);
  const aq = tableRequant(heads, w.aQuant, arith, '__aq_cursor_t', 'a_quant');
  trace?.(`${p}_aq_output`, aq);
  const merged = mergeHeads(aq, T, H, D);
  trace?.(`${p}_gen_o_matmul_input`, merged);
  const o = linear(merged, T, w.o, arith, '__attn_o_t', 'o_matmul');
  trace?.(`${p}_gen_o_matmul_output`, o);
  const out = post ? postNorm(o, x, T, C, w, arith, '__attn', p, trace) : residualMerge(o, x, w.residual, arith, '__attn_of_t');
  trace?.(`${p}_output`, out);
  return out;
}

/** MLP block (SPEC §1.9). Input and output [tokens][width]. */
export function runMlp(cfg: ViTConfig, n: number, w: MlpWeights, x: Int32Array, arith: Arith, trace?: TraceSink, shape?: BlockShape): Int32Array {
  const T = shape?.tokens ?? cfg.tokens;
  const C = cfg.width;
  const p = `mlp_${n}`;
  trace?.(`${p}_input`, x);
  const post = w.norm === 'post';
  const ln = post ? blockInputCodes(x, w, arith, p, trace) : preNorm(x, T, C, w.ln, arith, '__mlp_if_t', p, trace);
  trace?.(`${p}_matmul1_input`, ln);
  const m1 = linear(ln, T, w.fc1, arith, '__mlp_m1_t', 'fc1');
  trace?.(`${p}_matmul1_output`, m1);
  trace?.(`${p}_geluq_input`, m1);
  const g = tableRequant(m1, w.gelu, arith, '__gelu_cursor_t', 'gelu_quant');
  trace?.(`${p}_geluq_output`, g);
  trace?.(`${p}_matmul2_input`, g);
  const m2 = linear(g, T, w.fc2, arith, '__mlp_m2_t', 'fc2');
  trace?.(`${p}_matmul2_output`, m2);
  const out = post ? postNorm(m2, x, T, C, w, arith, '__mlp', p, trace) : residualMerge(m2, x, w.residual, arith, '__mlp_of_t');
  trace?.(`${p}_output`, out);
  return out;
}

/** Pre-norm: LN+quant of the block input gives the matmuls' activation codes (SPEC §1.8 step 2). */
function preNorm(x: Int32Array, T: number, C: number, ln: LayerNormParams, arith: Arith, inField: string, p: string, trace?: TraceSink): Int32Array {
  trace?.(`${p}_lnq_input`, x);
  const out = layerNormQuant(x, T, C, ln, arith, inField);
  trace?.(`${p}_lnq_output`, out);
  return out;
}

/** Post-norm: the block input is the previous LayerNorm's codes; requantized to the matmuls' codes when they differ. */
function blockInputCodes(x: Int32Array, w: AttentionWeights | MlpWeights, arith: Arith, p: string, trace?: TraceSink): Int32Array {
  if (!w.inQuant) return x;
  trace?.(`${p}_xq_input`, x);
  const out = tableRequant(x, w.inQuant, arith, '__xq_cursor_t', 'x_quant');
  trace?.(`${p}_xq_output`, out);
  return out;
}

/** Post-norm: residual add (rescaled input + main branch) into the sum type, then LN+quant of the sum is the output. */
function postNorm(main: Int32Array, x: Int32Array, T: number, C: number, w: AttentionWeights | MlpWeights, arith: Arith, kind: string, p: string, trace?: TraceSink): Int32Array {
  const sum = residualMerge(main, x, w.residual, arith, `${kind}_sum_t`);
  trace?.(`${p}_sum`, sum);
  trace?.(`${p}_lnq_input`, sum);
  const out = layerNormQuant(sum, T, C, w.ln, arith, `${kind}_sum_t`);
  arith.fitAll(out, `${kind}_of_t`, 'layernorm');
  trace?.(`${p}_lnq_output`, out);
  return out;
}

/** Classification head (SPEC §1.7): LayerNorm of the CLS row to 8 bits, then the 1000-way linear layer. */
export function runHead(cfg: ViTConfig, w: HeadWeights, x: Int32Array, arith: Arith, trace?: TraceSink): Int32Array {
  const C = cfg.width;
  trace?.('head_input', x);
  const cls = x.slice(0, C);
  trace?.('head_lnq_input', cls);
  const ln = layerNormQuant(cls, 1, C, w.ln, arith, '__if_t');
  trace?.('head_lnq_output', ln);
  trace?.('head_matmul_input', ln);
  const logits = linear(ln, 1, w.fc, arith, '__mc_t', 'head_matmul');
  trace?.('head_matmul_output', logits);
  trace?.('head_output', logits);
  return logits;
}
