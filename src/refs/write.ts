import type { LayerNormParams, SoftmaxParams, TableQuantParams } from '../ops/index.ts';
import type { ModelWeights, StaticMatmul } from './weights.ts';

/**
 * The inverse of `loadWeights`: every parameter of an integer ViT under its reference-format file name (without
 * `.txt`), for writing a quantized model folder that `loadWeights` (and the generated HLS testbenches) read back.
 */
export function weightsToRefs(w: ModelWeights): Map<string, ArrayLike<number>> {
  const files = new Map<string, ArrayLike<number>>();
  const layerNorm = (prefix: string, p: LayerNormParams) => {
    files.set(`${prefix}_scalars`, [p.c1m, p.c1s, p.b, p.s1, p.bound, p.s2, p.clampBits]);
    files.set(`${prefix}_lnw_m`, p.lnw);
    files.set(`${prefix}_lnb_m`, p.lnb);
    files.set(`${prefix}_rsqrt_table_m`, p.rsqrt);
  };
  const table = (prefix: string, p: TableQuantParams) => {
    files.set(`${prefix}_scalars`, [p.b, p.s, p.bound]);
    files.set(`${prefix}_table_m`, p.table);
  };
  const matmul = (prefix: string, m: StaticMatmul) => {
    files.set(`${prefix}_weight`, m.weights.w);
    files.set(`${prefix}_bias`, m.bias);
  };
  const softmax = (prefix: string, p: SoftmaxParams) => {
    files.set(`${prefix}_scalars`, [
      p.b1, p.s1, p.bound1, p.b2One, p.s2One, p.bound2One, p.b3One, p.s3One,
      p.b2Two, p.s2Two, p.bound2Two, p.b3Two, p.s3Two, p.clampBits,
    ]);
    files.set(`${prefix}_exp_opp_table_m`, p.exp);
    files.set(`${prefix}_recip_scaled_table_m_one`, p.recipOne);
    files.set(`${prefix}_recip_scaled_table_m_two`, p.recipTwo);
  };
  const pe = w.patchEmbed;
  files.set('patch_embed_scalars', [pe.shift]);
  files.set('patch_embed_matmul_weight', pe.matmul.w);
  files.set('patch_embed_matmul_bias', pe.bias2d);
  files.set('patch_embed_cls', pe.cls);
  w.attention.forEach((a, n) => {
    const p = `attn_${n}`;
    if (a.inQuant) table(`${p}_xq`, a.inQuant);
    layerNorm(`${p}_lnq`, a.ln);
    for (const [name, m] of [['q', a.q], ['k', a.k], ['v', a.v], ['o', a.o]] as const) matmul(`${p}_gen_${name}_matmul`, m);
    for (const [name, t] of [['q', a.qQuant], ['k', a.kQuant], ['v', a.vQuant], ['a', a.aQuant]] as const) table(`${p}_${name}_q`, t);
    softmax(`${p}_softmaxq`, a.softmax);
    files.set(`${p}_scalars`, [a.residual.rm, a.residual.rs]);
  });
  w.mlp.forEach((m, n) => {
    const p = `mlp_${n}`;
    if (m.inQuant) table(`${p}_xq`, m.inQuant);
    layerNorm(`${p}_lnq`, m.ln);
    matmul(`${p}_matmul1`, m.fc1);
    table(`${p}_geluq`, m.gelu);
    matmul(`${p}_matmul2`, m.fc2);
    files.set(`${p}_scalars`, [m.residual.rm, m.residual.rs]);
  });
  layerNorm('head_lnq', w.head.ln);
  matmul('head_matmul', w.head.fc);
  return files;
}
