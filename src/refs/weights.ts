import { fail } from '../diag/index.ts';
import { shapeOf, type ViTConfig } from '../model/index.ts';
import { PackedWeights, type LayerNormParams, type ResidualParams, type SoftmaxParams, type TableQuantParams } from '../ops/index.ts';
import { refsInt32, refsValues, type RefsSource } from './source.ts';

/** A static-weight matmul: weights [CO][CI] ready for the fast kernel, and a per-output-channel bias. */
export interface StaticMatmul {
  weights: PackedWeights;
  bias: Float64Array;
}

/**
 * Where a block's LayerNorm sits. `pre` (HG-PIPE, timm): LN+quant of the block input feeds the matmuls, the residual
 * add is the output. `post` (PyTorch's nn.TransformerEncoderLayer default): the block input is requantized by `inQuant`
 * (when its codes are not already the matmuls' codes) for the matmuls, and LN+quant of the residual sum is the output.
 */
export type NormPlacement = 'pre' | 'post';

export interface AttentionWeights {
  norm?: NormPlacement;
  /** Post-norm only: block input → the matmuls' activation codes (absent: the input already is those codes). */
  inQuant?: TableQuantParams;
  ln: LayerNormParams;
  q: StaticMatmul;
  k: StaticMatmul;
  v: StaticMatmul;
  o: StaticMatmul;
  qQuant: TableQuantParams;
  kQuant: TableQuantParams;
  vQuant: TableQuantParams;
  aQuant: TableQuantParams;
  softmax: SoftmaxParams;
  residual: ResidualParams;
}

export interface MlpWeights {
  norm?: NormPlacement;
  inQuant?: TableQuantParams;
  ln: LayerNormParams;
  fc1: StaticMatmul;
  gelu: TableQuantParams;
  fc2: StaticMatmul;
  residual: ResidualParams;
}

export interface PatchEmbedWeights {
  matmul: PackedWeights;
  /** [tokens][width]: conv bias + position embedding, pre-scaled. */
  bias2d: Float64Array;
  /** [width]: CLS token + its position embedding, pre-scaled. */
  cls: Float64Array;
  shift: number;
}

export interface HeadWeights {
  ln: LayerNormParams;
  fc: StaticMatmul;
}

/** Every parameter of HG-PIPE's integer ViT. */
export interface ModelWeights {
  config: ViTConfig;
  patchEmbed: PatchEmbedWeights;
  attention: AttentionWeights[];
  mlp: MlpWeights[];
  head: HeadWeights;
}

/**
 * Scalars are checked against what the operators can use before anything runs: a shift or table bound outside these
 * ranges would give meaningless results (or exceed the exact-integer range of doubles), not an error.
 */
function checkScalars(refs: RefsSource, name: string, values: Float64Array, rules: Record<number, [string, number, number]>): Float64Array {
  for (const [i, [what, lo, hi]] of Object.entries(rules)) {
    const v = values[Number(i)];
    if (!(v >= lo && v <= hi))
      fail('BAD_REF_FILE', `element ${i} (${what}) = ${v}; expected ${lo} … ${hi}`, refs.where(name));
  }
  return values;
}
const SHIFT: [string, number, number] = ['shift', 0, 52];
const BOUND: [string, number, number] = ['table bound', 0, 65535];

function layerNorm(refs: RefsSource, prefix: string, width: number): LayerNormParams {
  const s = checkScalars(refs, `${prefix}_scalars`, refsValues(refs, `${prefix}_scalars`, [7]), {
    1: ['C_1_s', 1, 52], 3: ['s1', 0, 52], 4: BOUND, 5: ['s2', 1, 52], 6: ['clamp bits', 1, 32],
  });
  return {
    c1m: s[0],
    c1s: s[1],
    b: s[2],
    s1: s[3],
    bound: s[4],
    s2: s[5],
    clampBits: s[6],
    lnw: refsValues(refs, `${prefix}_lnw_m`, [width]),
    lnb: refsValues(refs, `${prefix}_lnb_m`, [width]),
    rsqrt: refsValues(refs, `${prefix}_rsqrt_table_m`, [s[4] + 1]),
  };
}

function tableQuant(refs: RefsSource, prefix: string): TableQuantParams {
  const [b, s, bound] = checkScalars(refs, `${prefix}_scalars`, refsValues(refs, `${prefix}_scalars`, [3]), { 1: SHIFT, 2: BOUND });
  return { b, s, bound, table: refsInt32(refs, `${prefix}_table_m`, [bound + 1]) };
}

function staticMatmul(refs: RefsSource, prefix: string, co: number, ci: number): StaticMatmul {
  return {
    weights: new PackedWeights(refsInt32(refs, `${prefix}_weight`, [co, ci]), co, ci),
    bias: refsValues(refs, `${prefix}_bias`, [co]),
  };
}

function softmax(refs: RefsSource, prefix: string): SoftmaxParams {
  const s = checkScalars(refs, `${prefix}_scalars`, refsValues(refs, `${prefix}_scalars`, [14]), {
    1: ['s1', 0, 52], 2: ['bound1', 0, 65535], 4: ['s2_one', 0, 52], 5: ['bound2_one', 0, 65535], 7: ['s3_one', 1, 52],
    9: ['s2_two', 0, 52], 10: ['bound2_two', 0, 65535], 12: ['s3_two', 1, 52], 13: ['clamp bits', 1, 32],
  });
  return {
    b1: s[0], s1: s[1], bound1: s[2],
    b2One: s[3], s2One: s[4], bound2One: s[5], b3One: s[6], s3One: s[7],
    b2Two: s[8], s2Two: s[9], bound2Two: s[10], b3Two: s[11], s3Two: s[12],
    clampBits: s[13],
    exp: refsInt32(refs, `${prefix}_exp_opp_table_m`, [s[2] + 1]),
    recipOne: refsInt32(refs, `${prefix}_recip_scaled_table_m_one`, [s[5] + 1]),
    recipTwo: refsInt32(refs, `${prefix}_recip_scaled_table_m_two`, [s[10] + 1]),
  };
}

function residual(refs: RefsSource, name: string): ResidualParams {
  const [rm, rs] = checkScalars(refs, name, refsValues(refs, name, [2]), { 0: ['RM', -(2 ** 31), 2 ** 31], 1: ['RS', 1, 52] });
  return { rm, rs };
}

/** Post-norm blocks carry their placement and, where the folder has one (`<block>_xq_*`), the input requantizer. */
function placement(refs: RefsSource, prefix: string, norm: NormPlacement): { norm?: NormPlacement; inQuant?: TableQuantParams } {
  if (norm === 'pre') return {};
  return refs.has(`${prefix}_xq_scalars`) ? { norm, inQuant: tableQuant(refs, `${prefix}_xq`) } : { norm };
}

/**
 * HG-PIPE's weights, tables and scalars from a refs source (SPEC §2): a folder on disk (`loadWeights`) or files the
 * explorer page fetched.
 */
export function weightsFromSource(refs: RefsSource, config: ViTConfig, norm: NormPlacement = 'pre'): ModelWeights {
  const C = config.width;
  const T = config.tokens;
  const { patchElements, mlpHidden } = shapeOf(config);
  const attention: AttentionWeights[] = [];
  const mlp: MlpWeights[] = [];
  for (let n = 0; n < config.depth; n++) {
    const a = `attn_${n}`;
    attention.push({
      ...placement(refs, a, norm),
      ln: layerNorm(refs, `${a}_lnq`, C),
      q: staticMatmul(refs, `${a}_gen_q_matmul`, C, C),
      k: staticMatmul(refs, `${a}_gen_k_matmul`, C, C),
      v: staticMatmul(refs, `${a}_gen_v_matmul`, C, C),
      o: staticMatmul(refs, `${a}_gen_o_matmul`, C, C),
      qQuant: tableQuant(refs, `${a}_q_q`),
      kQuant: tableQuant(refs, `${a}_k_q`),
      vQuant: tableQuant(refs, `${a}_v_q`),
      aQuant: tableQuant(refs, `${a}_a_q`),
      softmax: softmax(refs, `${a}_softmaxq`),
      residual: residual(refs, `${a}_scalars`),
    });
    const m = `mlp_${n}`;
    mlp.push({
      ...placement(refs, m, norm),
      ln: layerNorm(refs, `${m}_lnq`, C),
      fc1: staticMatmul(refs, `${m}_matmul1`, mlpHidden, C),
      gelu: tableQuant(refs, `${m}_geluq`),
      fc2: staticMatmul(refs, `${m}_matmul2`, C, mlpHidden),
      residual: residual(refs, `${m}_scalars`),
    });
  }
  const shift = refsValues(refs, 'patch_embed_scalars', [1])[0];
  if (!(shift >= 1 && shift <= 52)) fail('BAD_REF_FILE', `element 0 (shift) = ${shift}; expected 1 … 52`, refs.where('patch_embed_scalars'));
  return {
    config,
    patchEmbed: {
      matmul: new PackedWeights(refsInt32(refs, 'patch_embed_matmul_weight', [C, patchElements]), C, patchElements),
      bias2d: refsValues(refs, 'patch_embed_matmul_bias', [T, C]),
      cls: refsValues(refs, 'patch_embed_cls', [C]),
      shift,
    },
    attention,
    mlp,
    head: {
      ln: layerNorm(refs, 'head_lnq', C),
      fc: staticMatmul(refs, 'head_matmul', config.numClasses, C),
    },
  };
}
