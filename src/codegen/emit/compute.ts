import type { LayerNormProcess, MacProcess, RequantProcess, ResidualMergeProcess, SoftmaxProcess } from '../../ir/index.ts';
import type { Binding } from '../bind.ts';
import { cInt } from '../writer.ts';
import { sizeBias } from '../../merge/merger.ts';
import { type KindEmitter, expect, loopNest, sizeStreamOf, ty } from './common.ts';
import { sparseMac } from './sparse.ts';

/**
 * Compute processes. Every typed assignment is the one the engine's hardware mode performs (SPEC §1.9b): the
 * right-hand side is evaluated at full precision (vp_i64) and assigned to the named typedef, which wraps.
 */

/** Refs name without the block prefix: the name of the block's constant (`attn_0_gen_q_matmul` → `gen_q_matmul`). */
/** ` + v` or ` - |v|`: adding a signed constant the way a person would write it. */
const plus = (v: number): string => (v < 0 ? ` - ${cInt(-v)}` : ` + ${cInt(v)}`);

const padded = (v: ArrayLike<number>, n: number): Int32Array => {
  const out = new Int32Array(n);
  for (let i = 0; i < v.length; i++) out[i] = v[i];
  return out;
};

const local = (refs: string): string => refs.replace(/^(attn|mlp)_\d+_/, '');

export const mac: KindEmitter<MacProcess> = {
  outFields(p, bind) {
    if (bind.role === 'patch-mac') return ['__of_t'];
    if (bind.role === 'static-mac' || bind.role === 'dynamic-mac') return [bind.accField];
    throw new Error(`mac ${p.name}: unexpected binding ${bind.role}`);
  },
  emit(p, ctx) {
    if (p.sparsity) return sparseMac({ ...p, sparsity: p.sparsity }, ctx);
    const { tt, tp, ci, co, cip, cop } = p.shape;
    const cit = ci / cip;
    const cot = co / cop;
    const b = ctx.bind;
    const dynamic = b.role === 'dynamic-mac';
    let wName = '';
    let accT: string;
    let biasExpr = '0';
    let what: string;
    if (b.role === 'static-mac' || b.role === 'patch-mac') {
      // ROM word (cot, cit) holds the cop × cip weight tile, lane o·cip + i = W[cot·cop + o][cit·cip + i].
      const tiles = new Int32Array(co * ci);
      for (let t = 0; t < cot; t++)
        for (let s = 0; s < cit; s++)
          for (let o = 0; o < cop; o++)
            for (let i = 0; i < cip; i++) tiles[((t * cit + s) * cop + o) * cip + i] = b.w[(t * cop + o) * ci + s * cip + i];
      wName = ctx.consts.add(`${local(b.refs)}_weight_tiles`, tiles, `${b.refs}_weight.txt [${co}][${ci}] as ${cot * cit} ROM words of ${cop}×${cip} weights (word cot·${cit} + cit, lane o·${cip} + i)`, cop * cip);
    }
    if (b.role === 'static-mac') {
      accT = ty(b.accField);
      biasExpr = `${ctx.consts.add(`${local(b.refs)}_bias`, b.bias, `${b.refs}_bias.txt [${co}]`)}[cot * ${cop} + o]`;
      what = `y = x·Wᵀ + bias (${b.refs}), accumulated in ${accT}`;
    } else if (b.role === 'patch-mac') {
      accT = 'ml_t';
      // a padded token slot (65 tokens in 66 slots) gets a zero bias row: its output is never compared
      const bias2d = b.bias2d.length < tt * tp * co ? padded(b.bias2d, tt * tp * co) : b.bias2d;
      const note = bias2d === b.bias2d ? '' : ` (rows ${b.bias2d.length / co}.. are zero padding slots)`;
      const bias = ctx.consts.add('patch_embed_matmul_bias', bias2d, `patch_embed_matmul_bias.txt [${b.bias2d.length / co}][${co}]: conv bias + position embedding per token${note}`, co);
      ctx.consts.add('patch_embed_cls', b.cls, `patch_embed_cls.txt [${co}]: CLS token + its position embedding`);
      biasExpr = `${bias}[tt * ${tp} + p][cot * ${cop} + o]`;
      what = `patch embedding: x·Wᵀ + 2-D bias in ml_t, token 0 replaced by the CLS vector, then (acc + 2^${b.shift - 1}) >> ${b.shift} into of_t`;
    } else {
      const d = expect(b, 'dynamic-mac', p);
      accT = ty(d.accField);
      what = `${d.what}, weights streamed in (no bias), accumulated in ${accT}`;
    }
    const patch = b.role === 'patch-mac' ? b : undefined;
    return {
      summary: `${what}; ${tp}×${cop}×${cip} MACs per iteration over ${tt}×${cot}×${cit} iterations`,
      inNames: dynamic ? ['in', 'weight'] : ['in'],
      outNames: ['out'],
      body(w) {
        w.line(`${accT} acc[${tp}][${cop}];`);
        w.pragma('ARRAY_PARTITION variable=acc complete dim=0');
        if (wName) {
          w.pragma(`ARRAY_PARTITION variable=${wName} complete dim=2`);
          w.pragma(`BIND_STORAGE variable=${wName} type=rom_1p impl=bram`);
        }
        loopNest(w, [['tt', tt], ['cot', cot], ['cit', cit]], () => {
          w.line(`${ctx.ins[0].beat} x = in.read();`);
          if (dynamic) w.line(`${ctx.ins[1].beat} wt = weight.read();`);
          const weight = dynamic ? `wt.d[o * ${cip} + i]` : `${wName}[cot * ${cit} + cit][o * ${cip} + i]`;
          w.block(`for (int p = 0; p < ${tp}; p++)`, () => {
            w.block(`for (int o = 0; o < ${cop}; o++)`, () => {
              // Accumulated in the output type, as HG-PIPE does: a wrap at every step equals one wrap of the exact sum.
              w.line(`${accT} sum = cit == 0 ? ${accT}(${biasExpr}) : acc[p][o];`);
              w.line(`for (int i = 0; i < ${cip}; i++) sum += x.d[p * ${cip} + i] * ${weight};`);
              w.line('acc[p][o] = sum;');
            });
          });
          w.block(`if (cit == ${cit - 1})`, () => {
            w.line(`${ctx.outs[0].beat} y;`);
            w.block(`for (int p = 0; p < ${tp}; p++)`, () => w.block(`for (int o = 0; o < ${cop}; o++)`, () => {
              if (patch) {
                w.line(`vp_i64 v = tt * ${tp} + p == 0 ? (vp_i64)patch_embed_cls[cot * ${cop} + o] : (vp_i64)acc[p][o];`);
                w.line(`y.d[p * ${cop} + o] = (v${plus(2 ** (patch.shift - 1))}) >> ${patch.shift};`);
              } else w.line(`y.d[p * ${cop} + o] = acc[p][o];`);
            }));
            w.line('out.write(y);');
          });
        });
      },
    };
  },
};

export const layerNorm: KindEmitter<LayerNormProcess> = {
  outFields: (p, bind) => [expect(bind, 'layernorm', p).outField],
  emit(p, ctx) {
    const b = expect(ctx.bind, 'layernorm', p);
    const q = b.params;
    const { tt, tp, channels: C, cp } = p;
    const ct = C / cp;
    const inT = ctx.ins[0].elem;
    const ifT = ty(b.inField);
    const lnw = ctx.consts.add(`${local(b.refs)}_lnw_m`, q.lnw, `${b.refs}_lnw_m.txt [${C}]`);
    const lnb = ctx.consts.add(`${local(b.refs)}_lnb_m`, q.lnb, `${b.refs}_lnb_m.txt [${C}]`);
    const rsqrt = ctx.consts.add(`${local(b.refs)}_rsqrt_table_m`, q.rsqrt, `${b.refs}_rsqrt_table_m.txt [${q.rsqrt.length}]`);
    const lo = -(2 ** (q.clampBits - 1));
    const hi = 2 ** (q.clampBits - 1) - 1;
    return {
      summary: `LayerNorm + quantization to ${q.clampBits} bits (${b.refs}); 3 passes per token pair: sum and mean, variance and rsqrt lookup, affine and clamp`,
      inNames: ['in'],
      outNames: ['out'],
      body(w) {
        w.line(`${inT} xbuf[${tp}][${C}];`);
        w.line(`${ifT} diff[${tp}][${C}];`);
        w.line(`ln_sum_t sum[${tp}];`);
        w.line(`ln_mu_t mean[${tp}];`);
        w.line(`ln_var_t var[${tp}];`);
        w.line(`ln_rsqrt_t rs[${tp}];`);
        w.line(`${ctx.outs[0].beat} o;`);
        loopNest(w, [['tt', tt], ['pass', 3], ['ct', ct]], () => {
          w.block('if (pass == 0)', () => {
            w.line(`${ctx.ins[0].beat} b = in.read();`);
            w.block(`for (int p = 0; p < ${tp}; p++)`, () => w.block(`for (int c = 0; c < ${cp}; c++)`, () => {
              w.line(`xbuf[p][ct * ${cp} + c] = b.d[p * ${cp} + c];`);
              w.line(`sum[p] = (ct == 0 && c == 0 ? 0 : (vp_i64)sum[p]) + (vp_i64)b.d[p * ${cp} + c];`);
            }));
            w.block(`if (ct == ${ct - 1})`, () => {
              w.block(`for (int p = 0; p < ${tp}; p++)`, () => {
                w.line(`ln_divc_t divc = (vp_i64)sum[p] * ${cInt(q.c1m)} + ${cInt(2 ** (q.c1s - 1))};`);
                w.line(`mean[p] = (vp_i64)divc >> ${q.c1s};`);
              });
            });
          }, '} else if (pass == 1) {');
          w.indent(() => {
            w.block(`for (int p = 0; p < ${tp}; p++)`, () => w.block(`for (int c = 0; c < ${cp}; c++)`, () => {
              w.line(`${ifT} d = (vp_i64)xbuf[p][ct * ${cp} + c] - (vp_i64)mean[p];`);
              w.line(`diff[p][ct * ${cp} + c] = d;`);
              w.line(`var[p] = (ct == 0 && c == 0 ? 0 : (vp_i64)var[p]) + (vp_i64)d * (vp_i64)d;`);
            }));
            w.block(`if (ct == ${ct - 1})`, () => {
              w.block(`for (int p = 0; p < ${tp}; p++)`, () => {
                w.line(`ln_cursor_t cur = ((vp_i64)var[p]${plus(q.b)}) >> ${q.s1};`);
                w.line(`rs[p] = ${rsqrt}[vp_clamp(cur, 0, ${q.bound})];`);
              });
            });
          });
          w.block('} else', () => {
            w.block(`for (int p = 0; p < ${tp}; p++)`, () => w.block(`for (int c = 0; c < ${cp}; c++)`, () => {
              w.line(`int ch = ct * ${cp} + c;`);
              w.line(`ln_affine_t val = (vp_i64)diff[p][ch] * (vp_i64)rs[p] * (vp_i64)${lnw}[ch] + (vp_i64)${lnb}[ch];`);
              w.line(`ln_shift_t rel = (vp_i64)val >> ${q.s2};`);
              w.line(`o.d[p * ${cp} + c] = vp_clamp(rel, ${lo}, ${hi});`);
            }));
            w.line('out.write(o);');
          });
        });
      },
    };
  },
};

export const softmax: KindEmitter<SoftmaxProcess> = {
  outFields: (p, bind) => [expect(bind, 'softmax', p).outField],
  emit(p, ctx) {
    const b = expect(ctx.bind, 'softmax', p);
    const q = b.params;
    const { tt, tp, keys: K, cp } = p;
    const ct = K / cp;
    const rT = ctx.ins[0].elem;
    // token-pruned blocks with an odd token count: the padding key takes no part (as if absent) and gets 0
    const masked = p.validKeys !== undefined && p.validKeys < K;
    const real = (expr: string) => (masked ? `k < ${p.validKeys} ? (${expr}) : 0` : expr);
    const exp = ctx.consts.add(`${local(b.refs)}_exp_opp_table_m`, q.exp, `${b.refs}_exp_opp_table_m.txt [${q.exp.length}]`);
    const one = ctx.consts.add(`${local(b.refs)}_recip_scaled_table_m_one`, q.recipOne, `${b.refs}_recip_scaled_table_m_one.txt [${q.recipOne.length}]`);
    const two = ctx.consts.add(`${local(b.refs)}_recip_scaled_table_m_two`, q.recipTwo, `${b.refs}_recip_scaled_table_m_two.txt [${q.recipTwo.length}]`);
    // token merging's proportional attention: key k's score + δ(size)·2^s1 (docs/TOKEN-MERGING.md), in a wide integer
    const sized = ctx.sizes?.in === true;
    const bias = sized
      ? ctx.consts.add(`${local(b.refs)}_size_bias`, sizeBias(q, Int32Array.from({ length: ctx.sizes!.maxSize + 1 }, (_, s) => s)), `proportional attention: score bias δ(s)·2^${q.s1} of a key of size s (from ${b.refs}_exp_opp_table_m)`)
      : '';
    const valid = p.validKeys ?? K;
    const scoreT = sized ? 'vp_i64' : rT;
    return {
      summary: `softmax + quantization to u${q.clampBits} over ${K} keys (${b.refs}); 3 passes per query pair: max, exp table and sum with the two-segment reciprocal, scale and clamp`,
      inNames: ['in'],
      outNames: ['out'],
      sides: sized ? [{ name: 'sizes', dir: 'in', stream: sizeStreamOf(p) }] : [],
      body(w) {
        w.line(`${scoreT} rbuf[${tp}][${K}];`);
        w.line(`softmax_exp_t ebuf[${tp}][${K}];`);
        w.line(`${scoreT} mx[${tp}];`);
        if (sized) {
          w.line(`vp_i64 kb[${K}];  // each key's size bias, from this image's token sizes`);
          w.line(`for (int k = 0; k < ${K}; k++) kb[k] = k < ${valid} ? (vp_i64)${bias}[sizes.read().d[0]] : 0;`);
        }
        w.line(`softmax_acc_t sum[${tp}];`);
        w.line(`softmax_recip_t rec[${tp}];`);
        w.line(`bool two[${tp}];`);
        w.line(`${ctx.outs[0].beat} o;`);
        loopNest(w, [['tt', tt], ['pass', 3], ['ct', ct]], () => {
          w.block('if (pass == 0)', () => {
            w.line(`${ctx.ins[0].beat} b = in.read();`);
            w.block(`for (int p = 0; p < ${tp}; p++)`, () => w.block(`for (int c = 0; c < ${cp}; c++)`, () => {
              w.line(`int k = ct * ${cp} + c;`);
              w.line(`rbuf[p][k] = ${sized ? `(vp_i64)b.d[p * ${cp} + c] + kb[k]` : `b.d[p * ${cp} + c]`};`);
              w.line(`if (k == 0 || (${masked ? `k < ${p.validKeys} && ` : ''}(vp_i64)rbuf[p][k] > (vp_i64)mx[p])) mx[p] = rbuf[p][k];`);
            }));
          }, '} else if (pass == 1) {');
          w.indent(() => {
            w.block(`for (int p = 0; p < ${tp}; p++)`, () => w.block(`for (int c = 0; c < ${cp}; c++)`, () => {
              w.line(`int k = ct * ${cp} + c;`);
              w.line('softmax_minus_t minus = (vp_i64)mx[p] - (vp_i64)rbuf[p][k];');
              w.line(`softmax_cursor1_t c1 = ((vp_i64)minus${plus(q.b1)}) >> ${q.s1};`);
              w.line(`softmax_exp_t e = ${real(`${exp}[vp_clamp(c1, 0, ${q.bound1})]`)};`);
              w.line('ebuf[p][k] = e;');
              w.line('sum[p] = (k == 0 ? 0 : (vp_i64)sum[p]) + (vp_i64)e;');
            }));
            w.block(`if (ct == ${ct - 1})`, () => {
              w.block(`for (int p = 0; p < ${tp}; p++)`, () => {
                w.line(`softmax_cursor2_one_t ca = ((vp_i64)sum[p]${plus(q.b2One)}) >> ${q.s2One};`);
                w.line(`two[p] = (vp_i64)ca > ${q.bound2One};`);
                w.block('if (two[p])', () => {
                  w.line(`softmax_cursor2_two_t cb = ((vp_i64)sum[p]${plus(q.b2Two)}) >> ${q.s2Two};`);
                  w.line(`rec[p] = ${two}[vp_clamp(cb, 0, ${q.bound2Two})];`);
                });
                w.line(`else rec[p] = ${one}[vp_clamp(ca, 0, ${q.bound2One})];`);
              });
            });
          });
          w.block('} else', () => {
            w.block(`for (int p = 0; p < ${tp}; p++)`, () => w.block(`for (int c = 0; c < ${cp}; c++)`, () => {
              w.line(`int k = ct * ${cp} + c;`);
              w.line('softmax_affine_t val = (vp_i64)ebuf[p][k] * (vp_i64)rec[p];');
              w.line(`softmax_cursor3_t rel = ((vp_i64)val + (two[p] ? ${cInt(q.b3Two)} : ${cInt(q.b3One)})) >> (two[p] ? ${q.s3Two} : ${q.s3One});`);
              w.line(`o.d[p * ${cp} + c] = ${real(`vp_clamp(rel, 0, ${2 ** q.clampBits - 1})`)};`);
            }));
            w.line('out.write(o);');
          });
        });
      },
    };
  },
};

export const requant: KindEmitter<RequantProcess> = {
  outFields: (p, bind) => [expect(bind, 'requant', p).outField],
  emit(p, ctx) {
    const b = expect(ctx.bind, 'requant', p);
    const q = b.params;
    const table = ctx.consts.add(`${local(b.refs)}_table_m`, q.table, `${b.refs}_table_m.txt [${q.table.length}]`);
    return {
      summary: `${p.fn === 'gelu' ? 'GELU fused with ' : p.fn === 'relu' ? 'ReLU fused with ' : ''}table requantization (${b.refs}): cursor = (x + ${q.b}) >> ${q.s} in ${ty(b.cursorField)}, clamped to [0, ${q.bound}], looked up`,
      inNames: ['in'],
      outNames: ['out'],
      body(w) {
        loopNest(w, [['i', p.beats]], () => {
          w.line(`${ctx.ins[0].beat} b = in.read();`);
          w.line(`${ctx.outs[0].beat} o;`);
          w.block(`for (int l = 0; l < ${p.lanes}; l++)`, () => {
            w.line(`${ty(b.cursorField)} cur = ((vp_i64)b.d[l]${plus(q.b)}) >> ${q.s};`);
            w.line(`o.d[l] = ${table}[vp_clamp(cur, 0, ${q.bound})];`);
          });
          w.line('out.write(o);');
        });
      },
    };
  },
};

export const residualMerge: KindEmitter<ResidualMergeProcess> = {
  outFields: (p, bind: Binding) => [expect(bind, 'residual', p).outField],
  emit(p, ctx) {
    const b = expect(ctx.bind, 'residual', p);
    const { rm, rs } = b.params;
    const ofT = ty(b.outField);
    return {
      summary: `residual add (${b.refs}): out = main + ${rs > 0 ? `((x·${rm} + 2^${rs - 1}) >> ${rs})` : `x·${rm}`}, both in ${ofT}`,
      inNames: ['resi', 'main'],
      outNames: ['out'],
      body(w) {
        loopNest(w, [['i', p.beats]], () => {
          w.line(`${ctx.ins[0].beat} x = resi.read();`);
          w.line(`${ctx.ins[1].beat} m = main.read();`);
          w.line(`${ctx.outs[0].beat} o;`);
          w.block(`for (int l = 0; l < ${p.lanes}; l++)`, () => {
            // rs = 0: no rounding term (the engine's floor((x·rm + ½) / 1) is x·rm)
            w.line(rs > 0 ? `${ofT} skip = ((vp_i64)x.d[l] * ${cInt(rm)}${plus(2 ** (rs - 1))}) >> ${rs};` : `${ofT} skip = (vp_i64)x.d[l] * ${cInt(rm)};`);
            w.line('o.d[l] = (vp_i64)m.d[l] + (vp_i64)skip;');
          });
          w.line('out.write(o);');
        });
      },
    };
  },
};
