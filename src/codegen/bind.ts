import { fail } from '../diag/index.ts';
import type { Block, Process } from '../ir/index.ts';
import type { LayerNormParams, ResidualParams, SoftmaxParams, TableQuantParams } from '../ops/index.ts';
import type { ModelWeights } from '../refs/index.ts';

/**
 * What a process computes with: which weights, tables and scalars (named after their refs files) and which HLS
 * typedefs its typed assignments use (the names of hardware-types.json, as the engine's hardware mode uses them).
 * Data-movement processes bind to nothing.
 */
export type Binding =
  | { role: 'plain' }
  | { role: 'layernorm'; refs: string; params: LayerNormParams; inField: string; outField: string }
  | { role: 'static-mac'; refs: string; w: Int32Array; bias: ArrayLike<number>; accField: string }
  | { role: 'patch-mac'; refs: string; w: Int32Array; bias2d: ArrayLike<number>; cls: ArrayLike<number>; shift: number }
  | { role: 'dynamic-mac'; what: string; accField: string }
  | { role: 'requant'; refs: string; params: TableQuantParams; cursorField: string; outField: string }
  | { role: 'softmax'; refs: string; params: SoftmaxParams; outField: string }
  | { role: 'residual'; refs: string; params: ResidualParams; outField: string };

/** The typedef of a block's input stream. */
export function blockInputField(block: Block): string {
  return block.kind === 'attn' ? '__attn_if_t' : block.kind === 'mlp' ? '__mlp_if_t' : '__if_t';
}

/** Index n of ATTNn / MLPn. */
export function blockIndex(block: Block): number {
  const m = /(\d+)$/.exec(block.name);
  if (!m) fail('BAD_DESIGN', `block name '${block.name}' has no layer index (expected ATTN<n> or MLP<n>)`, `block ${block.name}`);
  return Number(m[1]);
}

const PLAIN: Binding = { role: 'plain' };

export function bindProcess(block: Block, p: Process, w: ModelWeights): Binding {
  const unknown = (): never =>
    fail('BAD_DESIGN', `cannot tell which weights a ${p.kind} process named '${p.name}' uses in a ${block.kind} block`,
      `block ${block.name}, process ${p.name}`, 'codegen binds compute processes by the names the IR builders give them');
  switch (p.kind) {
    case 'layernorm': {
      // post-norm: the LayerNorm of the residual sum is the block output (engine: postNorm in src/engine/blocks.ts)
      if (block.norm === 'post' && (block.kind === 'attn' || block.kind === 'mlp')) {
        const n = blockIndex(block);
        const k = block.kind;
        const ln = k === 'attn' ? w.attention[n].ln : w.mlp[n].ln;
        return { role: 'layernorm', refs: `${k}_${n}_lnq`, params: ln, inField: `__${k}_sum_t`, outField: `__${k}_of_t` };
      }
      if (block.kind === 'attn') {
        const n = blockIndex(block);
        return { role: 'layernorm', refs: `attn_${n}_lnq`, params: w.attention[n].ln, inField: '__attn_if_t', outField: '__attn_lnq_t' };
      }
      if (block.kind === 'mlp') {
        const n = blockIndex(block);
        return { role: 'layernorm', refs: `mlp_${n}_lnq`, params: w.mlp[n].ln, inField: '__mlp_if_t', outField: '__mlp_ln_t' };
      }
      if (block.kind === 'head') return { role: 'layernorm', refs: 'head_lnq', params: w.head.ln, inField: '__if_t', outField: '__ln_t' };
      return unknown();
    }
    case 'mac': {
      const prefix = p.name.replace(/\.mac$/, '');
      if (block.kind === 'attn') {
        const n = blockIndex(block);
        const a = w.attention[n];
        const stat = { q: a.q, k: a.k, v: a.v, o: a.o }[prefix];
        if (stat) return { role: 'static-mac', refs: `attn_${n}_gen_${prefix}_matmul`, w: stat.weights.w, bias: stat.bias, accField: `__attn_${prefix}_t` };
        if (/^qk\d+$/.test(prefix)) return { role: 'dynamic-mac', what: 'QKᵀ scores r = qq·kqᵀ of one head', accField: '__attn_r_t' };
        if (/^rv\d+$/.test(prefix)) return { role: 'dynamic-mac', what: 'attention output a = rq·vq of one head', accField: '__attn_a_t' };
      }
      if (block.kind === 'mlp') {
        const n = blockIndex(block);
        const m = w.mlp[n];
        if (prefix === 'm1') return { role: 'static-mac', refs: `mlp_${n}_matmul1`, w: m.fc1.weights.w, bias: m.fc1.bias, accField: '__mlp_m1_t' };
        if (prefix === 'm2') return { role: 'static-mac', refs: `mlp_${n}_matmul2`, w: m.fc2.weights.w, bias: m.fc2.bias, accField: '__mlp_m2_t' };
      }
      if (block.kind === 'patch-embed' && prefix === 'pe') {
        const pe = w.patchEmbed;
        return { role: 'patch-mac', refs: 'patch_embed_matmul', w: pe.matmul.w, bias2d: pe.bias2d, cls: pe.cls, shift: pe.shift };
      }
      if (block.kind === 'head' && prefix === 'fc')
        return { role: 'static-mac', refs: 'head_matmul', w: w.head.fc.weights.w, bias: w.head.fc.bias, accField: '__mc_t' };
      return unknown();
    }
    case 'requant': {
      // post-norm: the input requantizer to the matmuls' codes (engine: blockInputCodes)
      if (p.name === 'x.quant' && (block.kind === 'attn' || block.kind === 'mlp')) {
        const n = blockIndex(block);
        const inQuant = block.kind === 'attn' ? w.attention[n].inQuant : w.mlp[n].inQuant;
        if (!inQuant)
          fail('BAD_DESIGN', `process x.quant requantizes the input of ${block.name}, but the weights have no ${block.kind}_${n}_xq table`,
            `block ${block.name}, process ${p.name}`, 'the design and the weights must come from the same quantized folder');
        return { role: 'requant', refs: `${block.kind}_${n}_xq`, params: inQuant, cursorField: '__xq_cursor_t', outField: block.kind === 'attn' ? '__attn_lnq_t' : '__mlp_ln_t' };
      }
      if (block.kind === 'attn') {
        const n = blockIndex(block);
        const a = w.attention[n];
        const m = /^([qkva])\.quant$/.exec(p.name);
        if (m) {
          const x = m[1] as 'q' | 'k' | 'v' | 'a';
          const params = { q: a.qQuant, k: a.kQuant, v: a.vQuant, a: a.aQuant }[x];
          return { role: 'requant', refs: `attn_${n}_${x}_q`, params, cursorField: `__${x}q_cursor_t`, outField: `__attn_${x}q_t` };
        }
      }
      // ReLU is the same fused table requantizer as GELU (the table keeps HG-PIPE's name: mlp_N_geluq_*)
      if (block.kind === 'mlp' && (p.fn === 'gelu' || p.fn === 'relu')) {
        const n = blockIndex(block);
        return { role: 'requant', refs: `mlp_${n}_geluq`, params: w.mlp[n].gelu, cursorField: '__gelu_cursor_t', outField: '__mlp_ge_t' };
      }
      return unknown();
    }
    case 'softmax': {
      if (block.kind !== 'attn') return unknown();
      const n = blockIndex(block);
      return { role: 'softmax', refs: `attn_${n}_softmaxq`, params: w.attention[n].softmax, outField: '__attn_rq_t' };
    }
    case 'residual-merge': {
      // post-norm: the merge writes the residual sum (the LayerNorm's input), not the block output
      const out = block.norm === 'post' ? 'sum' : 'of';
      if (block.kind === 'attn') {
        const n = blockIndex(block);
        return { role: 'residual', refs: `attn_${n}_scalars`, params: w.attention[n].residual, outField: `__attn_${out}_t` };
      }
      if (block.kind === 'mlp') {
        const n = blockIndex(block);
        return { role: 'residual', refs: `mlp_${n}_scalars`, params: w.mlp[n].residual, outField: `__mlp_${out}_t` };
      }
      return unknown();
    }
    default:
      return PLAIN;
  }
}
