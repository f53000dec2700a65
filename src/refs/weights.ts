import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../diag/index.ts';
import { shapeOf, type ViTConfig } from '../model/index.ts';
import { PackedWeights, type LayerNormParams, type ResidualParams, type SoftmaxParams, type TableQuantParams } from '../ops/index.ts';
import { readRefs, readRefsInt32 } from './format.ts';

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
function checkScalars(dir: string, name: string, values: Float64Array, rules: Record<number, [string, number, number]>): Float64Array {
  for (const [i, [what, lo, hi]] of Object.entries(rules)) {
    const v = values[Number(i)];
    if (!(v >= lo && v <= hi))
      fail('BAD_REF_FILE', `element ${i} (${what}) = ${v}; expected ${lo} … ${hi}`, join(dir, `${name}.txt`));
  }
  return values;
}
const SHIFT: [string, number, number] = ['shift', 0, 52];
const BOUND: [string, number, number] = ['table bound', 0, 65535];

function layerNorm(dir: string, prefix: string, width: number): LayerNormParams {
  const s = checkScalars(dir, `${prefix}_scalars`, readRefs(dir, `${prefix}_scalars`, [7]), {
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
    lnw: readRefs(dir, `${prefix}_lnw_m`, [width]),
    lnb: readRefs(dir, `${prefix}_lnb_m`, [width]),
    rsqrt: readRefs(dir, `${prefix}_rsqrt_table_m`, [s[4] + 1]),
  };
}

function tableQuant(dir: string, prefix: string): TableQuantParams {
  const [b, s, bound] = checkScalars(dir, `${prefix}_scalars`, readRefs(dir, `${prefix}_scalars`, [3]), { 1: SHIFT, 2: BOUND });
  return { b, s, bound, table: readRefsInt32(dir, `${prefix}_table_m`, [bound + 1]) };
}

function staticMatmul(dir: string, prefix: string, co: number, ci: number): StaticMatmul {
  return {
    weights: new PackedWeights(readRefsInt32(dir, `${prefix}_weight`, [co, ci]), co, ci),
    bias: readRefs(dir, `${prefix}_bias`, [co]),
  };
}

function softmax(dir: string, prefix: string): SoftmaxParams {
  const s = checkScalars(dir, `${prefix}_scalars`, readRefs(dir, `${prefix}_scalars`, [14]), {
    1: ['s1', 0, 52], 2: ['bound1', 0, 65535], 4: ['s2_one', 0, 52], 5: ['bound2_one', 0, 65535], 7: ['s3_one', 1, 52],
    9: ['s2_two', 0, 52], 10: ['bound2_two', 0, 65535], 12: ['s3_two', 1, 52], 13: ['clamp bits', 1, 32],
  });
  return {
    b1: s[0], s1: s[1], bound1: s[2],
    b2One: s[3], s2One: s[4], bound2One: s[5], b3One: s[6], s3One: s[7],
    b2Two: s[8], s2Two: s[9], bound2Two: s[10], b3Two: s[11], s3Two: s[12],
    clampBits: s[13],
    exp: readRefsInt32(dir, `${prefix}_exp_opp_table_m`, [s[2] + 1]),
    recipOne: readRefsInt32(dir, `${prefix}_recip_scaled_table_m_one`, [s[5] + 1]),
    recipTwo: readRefsInt32(dir, `${prefix}_recip_scaled_table_m_two`, [s[10] + 1]),
  };
}

function residual(dir: string, name: string): ResidualParams {
  const [rm, rs] = checkScalars(dir, name, readRefs(dir, name, [2]), { 0: ['RM', -(2 ** 31), 2 ** 31], 1: ['RS', 1, 52] });
  return { rm, rs };
}

/** Post-norm blocks carry their placement and, where the folder has one (`<block>_xq_*`), the input requantizer. */
function placement(dir: string, prefix: string, norm: NormPlacement): { norm?: NormPlacement; inQuant?: TableQuantParams } {
  if (norm === 'pre') return {};
  return existsSync(join(dir, `${prefix}_xq_scalars.txt`)) ? { norm, inQuant: tableQuant(dir, `${prefix}_xq`) } : { norm };
}

/** Load HG-PIPE's weights, tables and scalars from a refs directory (SPEC §2). */
export function loadWeights(dir: string, config: ViTConfig, norm: NormPlacement = 'pre'): ModelWeights {
  const C = config.width;
  const T = config.tokens;
  const { patchElements, mlpHidden } = shapeOf(config);
  const attention: AttentionWeights[] = [];
  const mlp: MlpWeights[] = [];
  for (let n = 0; n < config.depth; n++) {
    const a = `attn_${n}`;
    attention.push({
      ...placement(dir, a, norm),
      ln: layerNorm(dir, `${a}_lnq`, C),
      q: staticMatmul(dir, `${a}_gen_q_matmul`, C, C),
      k: staticMatmul(dir, `${a}_gen_k_matmul`, C, C),
      v: staticMatmul(dir, `${a}_gen_v_matmul`, C, C),
      o: staticMatmul(dir, `${a}_gen_o_matmul`, C, C),
      qQuant: tableQuant(dir, `${a}_q_q`),
      kQuant: tableQuant(dir, `${a}_k_q`),
      vQuant: tableQuant(dir, `${a}_v_q`),
      aQuant: tableQuant(dir, `${a}_a_q`),
      softmax: softmax(dir, `${a}_softmaxq`),
      residual: residual(dir, `${a}_scalars`),
    });
    const m = `mlp_${n}`;
    mlp.push({
      ...placement(dir, m, norm),
      ln: layerNorm(dir, `${m}_lnq`, C),
      fc1: staticMatmul(dir, `${m}_matmul1`, mlpHidden, C),
      gelu: tableQuant(dir, `${m}_geluq`),
      fc2: staticMatmul(dir, `${m}_matmul2`, C, mlpHidden),
      residual: residual(dir, `${m}_scalars`),
    });
  }
  const shift = readRefs(dir, 'patch_embed_scalars', [1])[0];
  if (!(shift >= 1 && shift <= 52)) fail('BAD_REF_FILE', `element 0 (shift) = ${shift}; expected 1 … 52`, join(dir, 'patch_embed_scalars.txt'));
  return {
    config,
    patchEmbed: {
      matmul: new PackedWeights(readRefsInt32(dir, 'patch_embed_matmul_weight', [C, patchElements]), C, patchElements),
      bias2d: readRefs(dir, 'patch_embed_matmul_bias', [T, C]),
      cls: readRefs(dir, 'patch_embed_cls', [C]),
      shift,
    },
    attention,
    mlp,
    head: {
      ln: layerNorm(dir, 'head_lnq', C),
      fc: staticMatmul(dir, 'head_matmul', config.numClasses, C),
    },
  };
}
