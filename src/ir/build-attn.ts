import { BlockBuilder, accBits, st } from './block-builder.ts';
import { attnWidths } from './block-widths.ts';
import { addHeadMerge, addHeadSplit, headMergeStarters } from './build-heads.ts';
import { addStaticMatmul } from './build-matmul.ts';
import type { BlockGeometry } from './build-mlp.ts';
import type { AttnConfig } from './config.ts';
import { type TokenSelection, withTokenSelection } from './build-select.ts';
import type { Block } from './types.ts';

/**
 * Attention block (DATAFLOW §4): residual fork, LayerNorm, q/k/v matmuls, per-head split, K/V reshapers, QKᵀ and
 * R·V with dynamic-weight caches in two-member regions, softmax, head merge, o matmul, residual merge; with a token
 * selection, the CLS-row score taps and the selector (build-select.ts). A post-norm model (g.hardware) moves the
 * LayerNorm behind the residual merge and, where its weights have one, puts an input requantizer `x.quant` before
 * the q/k/v fan-out; widths and table sizes then are the model's own (block-widths.ts).
 */
export function buildAttnBlock(name: string, index: number, g: BlockGeometry, c: AttnConfig, select?: TokenSelection): Block {
  const b = new BlockBuilder(name, 'attn');
  const o = `blocks.${index}.attn`;
  const tt = g.tokens / c.tp;
  const hd = g.width / g.heads;
  const lanes = c.tp * c.lnCp;
  const beats = (tt * g.width) / c.lnCp;
  const f = c.fifo;
  const A = g.actBits;
  const w = attnWidths(c, g.hardware?.norm === 'post', g.hardware?.attn[index]);
  const input = b.stream('in', lanes, w.inBits, 2, 'shift-register');
  const main = b.stream('main_sm', lanes, w.inBits, f.main);
  const resiI = b.stream('resi_i_sm', lanes, w.inBits, f.resiI, 'memory');
  const resi = b.stream('resi_sm', 2 * lanes, w.inBits, f.resi, 'memory');
  const resiO = b.stream('resi_o_sm', lanes, w.inBits, f.resiO, 'memory');
  // the matmuls' codes: pre-norm, the LayerNorm's output; post-norm, the input itself or its requantization
  const direct = w.post && w.inQuantEntries === undefined;
  const lnq = direct ? main : b.stream('lnq_sm', lanes, A, f.lnq);
  const codeBits = direct ? w.inBits : A;
  const output = b.stream('out', lanes, w.outBits, 2, 'shift-register');

  b.add({ kind: 'stream-copy', name: 'stream_copy2', origin: `${o}.residual`, inputs: [input], outputs: [main, resiI], beats, lanes, bits: w.inBits, stages: st(2, 0, 1) });
  b.add({ kind: 'adapter', name: 'resi_i_adapter', origin: `${o}.residual`, inputs: [resiI], outputs: [resi], tt, tp: c.tp, channels: g.width, cip: c.lnCp, cop: 2 * c.lnCp, bits: w.inBits, stages: st(3, 1, 2) });
  b.add({ kind: 'adapter', name: 'resi_o_adapter', origin: `${o}.residual`, inputs: [resi], outputs: [resiO], tt, tp: c.tp, channels: g.width, cip: 2 * c.lnCp, cop: c.lnCp, bits: w.inBits, stages: st(4, 2, 3) });
  const front = w.post ? (direct ? 'stream_copy3' : 'x.quant') : 'layernorm';
  if (!w.post) b.add({ kind: 'layernorm', name: 'layernorm', origin: `${o}.norm`, inputs: [main], outputs: [lnq], tt, tp: c.tp, channels: g.width, cp: c.lnCp, inBits: w.inBits, outBits: A, stages: st(c.lnDepth, 2, c.lnDepth - 1), ...(w.rsqrt ? { rsqrt: w.rsqrt } : {}) });
  else if (!direct) b.add({ kind: 'requant', fn: 'quant', name: 'x.quant', origin: `${o}.in_quant`, inputs: [main], outputs: [lnq], beats, lanes, inBits: w.inBits, outBits: A, tableEntries: w.inQuantEntries!, stages: st(4, 1, 3) });
  const cps = ['q', 'k', 'v'].map((x) => b.stream(`lnq_cp_${x}`, lanes, codeBits, f.lnq));
  b.add({ kind: 'stream-copy', name: 'stream_copy3', origin: `${o}.qkv`, inputs: [lnq], outputs: cps, beats, lanes, bits: codeBits, stages: st(2, 1, 1) });
  b.start('stream_copy2', ['resi_i_adapter', front]);
  b.start('resi_i_adapter', 'resi_o_adapter');
  b.start('resi_o_adapter', 'stream_merge', 12);
  if (front !== 'stream_copy3') b.start(front, 'stream_copy3');

  // q, k, v: matmul → quant → head split. Per-unit output FIFOs: Q waits for all of K (deep), K/V feed reshapers.
  // A unit is `k` heads sharing one attention pipeline: its rows are (token pair, head) pairs, k·hd channels per pair.
  const k = c.headsPerUnit ?? 1;
  const units = g.heads / k;
  const unitDim = k * hd;
  const rows = tt * k;
  const headStreams: Record<string, string[]> = {};
  const splitOf: Record<string, string[]> = {};
  const depthOf = { q: f.qqHead, k: f.kqHead, v: f.vqHead };
  const implOf = { q: 'memory', k: 'shift-register', v: 'shift-register' } as const;
  ['q', 'k', 'v'].forEach((x, j) => {
    const xo = `${o}.qkv.${x}`;
    const raw = `${x}_sm`;
    const mm = addStaticMatmul(b, {
      prefix: x, origin: xo, shape: { tt, tp: c.tp, ci: g.width, co: g.width, ...c.qkv }, inCp: c.lnCp, outCp: c.lnCp,
      inBits: codeBits, weightBits: g.weightBits, accBits: w.qkvAcc[j], style: 'stall-all', adptDepth: f.projAdpt ?? f.adpt, windowDepth: f.other, macDepth: f.other,
      stages: { adapterI: st(3, 0, 2), window: st(4, 2, 3), mac: st(6, 3, 5), adapterO: st(4, 2, 3) },
    }, cps[j], raw);
    b.stream(raw, lanes, mm.accBits, f.qkv);
    const xq = b.stream(`${x}q_sm`, lanes, A, f.qkv);
    b.add({ kind: 'requant', fn: 'quant', name: `${x}.quant`, origin: `${xo}.quant`, inputs: [raw], outputs: [xq], beats, lanes, inBits: mm.accBits, outBits: A, tableEntries: w.qkvEntries[j], stages: st(4, 1, 3) });
    const heads = Array.from({ length: units }, (_, u) => b.stream(`${x}q_head${u}`, lanes, A, depthOf[x as 'q'], implOf[x as 'q']));
    headStreams[x] = heads;
    splitOf[x] = addHeadSplit(b, `${x}.split`, `${xo}.split`, xq, heads, { tt, lanes, cp: c.lnCp, headDim: unitDim, bits: A });
    b.start('stream_copy3', mm.adapterI);
    b.start(mm.adapterI, [mm.window, `${x}.quant`]);
    b.start(mm.window, mm.mac);
    b.start(mm.mac, mm.adapterO);
    b.start(`${x}.quant`, `${x}.split`);
  });

  const aHeads: string[] = [];
  const mergeStarters = headMergeStarters('head_merge', units);
  for (let h = 0; h < units; h++) {
    const ho = k === 1 ? `${o}.head${h}` : `${o}.heads${h * k}-${h * k + k - 1}`;
    // K and V reshapers: serialise, then regroup into the weight tiles of QKᵀ (cop × cip) and R·V (transposed).
    const kTiles = reshaper(b, `k${h}`, `${ho}.k_reshape`, headStreams.k[h], splitOf.k[h], c.lnCp, `kq_reshape_head${h}`, f.kqReshape, g.tokens, unitDim, c.tp, c.qk.cop, c.qk.cip, false, A);
    const vTiles = reshaper(b, `v${h}`, `${ho}.v_reshape`, headStreams.v[h], splitOf.v[h], c.lnCp, `vq_transpose_head${h}`, f.vqTranspose, g.tokens, unitDim, c.tp, c.rv.cip, c.rv.cop, true, A);
    // QKᵀ: scores of 2 queries × cop keys per beat; softmax over the keys.
    const r = b.stream(`r_head${h}`, lanes, w.scoreStream, f.rHead, 'memory');
    const rq = b.stream(`rq_head${h}`, lanes, A, f.rqHead, 'memory');
    const qk = dynamicMatmul(b, `qk${h}`, `${ho}.qk`, { tt: rows, tp: c.tp, ci: hd, co: g.tokens, ...c.qk }, c.lnCp, c.softmaxCp, headStreams.q[h], kTiles, r, f, A, 'shift-register', st(4, 3, 3), false, w.scoreAcc, k);
    const tables = { ...(w.exp ? { exp: w.exp } : {}), ...(w.recip ? { recip: w.recip } : {}) };
    b.add({ kind: 'softmax', name: `softmax${h}`, origin: `${ho}.softmax`, inputs: [r], outputs: [rq], tt: rows, tp: c.tp, keys: g.tokens, cp: c.softmaxCp, inBits: qk.accBits, outBits: A, stages: st(9, 2, 8), ...tables });
    const a = b.stream(`a_head${h}`, lanes, w.headOut, f.aHead, 'memory');
    const rv = dynamicMatmul(b, `rv${h}`, `${ho}.rv`, { tt: rows, tp: c.tp, ci: g.tokens, co: hd, ...c.rv }, c.softmaxCp, c.lnCp, rq, vTiles, a, f, A, 'memory', st(5, 4, 4), true, w.headAcc, k);
    aHeads.push(a);
    b.start(splitOf.q[h], qk.region, 3);
    b.start(qk.region, `softmax${h}`);
    b.start(`v${h}.unpack`, rv.region, 4);
    if (mergeStarters[h]) b.start(rv.region, mergeStarters[h]!);
  }
  const aSm = b.stream('a_sm', lanes, w.headOut, f.other);
  const aq = b.stream('aq_sm', lanes, A, f.other);
  const oSm = 'o_sm';
  addHeadMerge(b, 'head_merge', `${o}.heads`, aHeads, aSm, { tt, lanes, cp: c.lnCp, headDim: unitDim, bits: w.headOut });
  b.add({ kind: 'requant', fn: 'quant', name: 'a.quant', origin: `${o}.a.quant`, inputs: [aSm], outputs: [aq], beats, lanes, inBits: w.headOut, outBits: A, tableEntries: w.aEntries, stages: st(4, 1, 3) });
  const om = addStaticMatmul(b, {
    prefix: 'o', origin: `${o}.proj`, shape: { tt, tp: c.tp, ci: g.width, co: g.width, ...c.o }, inCp: c.lnCp, outCp: c.lnCp,
    inBits: A, weightBits: g.weightBits, accBits: w.oAcc, style: 'stall-all', adptDepth: f.projAdpt ?? f.adpt, windowDepth: f.other, macDepth: f.other,
    stages: { adapterI: st(3, 0, 2), window: st(4, 2, 3), mac: st(6, 2, 5), adapterO: st(4, 2, 3) },
  }, aq, oSm);
  b.stream(oSm, lanes, om.accBits, f.other);
  // post-norm: the residual sum goes through the LayerNorm to the output. The LayerNorm reads a token pair's row and
  // then computes for two row-times without reading: one row of FIFO in front keeps the merge (and o) streaming.
  const sum = w.post ? b.stream('sum_sm', lanes, w.sumBits, f.sum ?? g.width / c.lnCp) : output;
  b.add({ kind: 'residual-merge', name: 'stream_merge', origin: `${o}.residual`, inputs: [resiO, oSm], outputs: [sum], beats, lanes, bits: w.sumBits, stages: st(8, 1, 6) });
  if (w.post) {
    b.add({ kind: 'layernorm', name: 'layernorm', origin: `${o}.norm`, inputs: [sum], outputs: [output], tt, tp: c.tp, channels: g.width, cp: c.lnCp, inBits: w.sumBits, outBits: w.outBits, stages: st(c.lnDepth, 2, c.lnDepth - 1), ...(w.rsqrt ? { rsqrt: w.rsqrt } : {}) });
    b.start('stream_merge', 'layernorm');
  }
  b.start('head_merge', 'a.quant');
  b.start('a.quant', om.adapterI);
  b.start(om.adapterI, om.window);
  b.start(om.window, om.mac);
  b.start(om.mac, om.adapterO);
  const block = b.build(input, beats, output, beats, w.post);
  return select ? withTokenSelection(block, select) : block;
}

/**
 * K/V reshaper: serialise (one element per cycle), then regroup into the weight tiles of QKᵀ (cop × cip) or R·V
 * (transposed). The serialiser reads TP-lane beats, so with more than one channel per beat (inCp > 1) an adapter
 * first narrows the head stream to one channel per beat. `starter` (the head split) starts both.
 */
function reshaper(b: BlockBuilder, p: string, origin: string, input: string, starter: string, inCp: number, output: string, depth: number, tokens: number, hd: number, tip: number, top: number, cop: number, transposed: boolean, bits: number): string {
  let serialIn = input;
  if (inCp > 1) {
    serialIn = b.stream(`${p}.unpack.narrow_sm`, tip, bits, 2, 'shift-register');
    b.add({ kind: 'adapter', name: `${p}.narrow`, origin, inputs: [input], outputs: [serialIn], tt: tokens / tip, tp: tip, channels: hd, cip: inCp, cop: 1, bits, stages: { depth: 4, read: 2, write: 3 } });
  }
  const mid = b.stream(`${p}.unpacked`, 1, bits, 2, 'shift-register');
  b.stream(output, top * cop, bits, depth, 'memory');
  b.add({ kind: 'reshape-unpack', name: `${p}.unpack`, origin, inputs: [serialIn], outputs: [mid], tokens, headDim: hd, tp: tip, bits });
  b.add({ kind: 'reshape-reorder', name: `${p}.reorder`, origin, inputs: [mid], outputs: [output], tokens, headDim: hd, tip, top, cop, transposed, bits, readLoop: st(4, 2, 2), writeLoop: st(8, 7, 7) });
  b.start(`${p}.unpack`, `${p}.reorder`);
  b.start(starter, inCp > 1 ? [`${p}.narrow`, `${p}.unpack`] : `${p}.unpack`);
  return output;
}

/** QKᵀ / R·V: adapter_i → cache_window → mac ← weight cache; adapter_o. adapter_i and the cache form a region. */
function dynamicMatmul(
  b: BlockBuilder, p: string, origin: string, shape: { tt: number; tp: number; ci: number; co: number; cip: number; cop: number },
  inCp: number, outCp: number, input: string, tiles: string, output: string, f: AttnConfig['fifo'], bits: number,
  adptImpl: 'shift-register' | 'memory', replay: { depth: number; read: number; write: number }, transposed: boolean, accGiven?: number, groups = 1,
) {
  const { tt, tp, ci, co, cip, cop } = shape;
  const acc = accGiven ?? accBits(bits, bits, ci);
  const adpt = b.stream(`${p}.adpt`, tp * cip, bits, f.adpt, adptImpl);
  const win = b.stream(`${p}.window`, tp * cip, bits, f.other, 'shift-register');
  const wt = b.stream(`${p}.weight`, cop * cip, bits, f.other, 'shift-register');
  const macOut = b.stream(`${p}.mac_out`, tp * cop, acc, f.other, 'shift-register');
  const n = (s: string) => `${p}.${s}`;
  b.add({ kind: 'adapter', name: n('adapter_i'), origin, inputs: [input], outputs: [adpt], tt, tp, channels: ci, cip: inCp, cop: cip, bits, stages: st(2, 0, 1) });
  b.add({ kind: 'window-cache', name: n('cache_window'), origin, inputs: [adpt], outputs: [win], shape, bits, stages: st(4, 2, 3) });
  b.add({ kind: 'weight-cache', name: n('cache_weight'), origin, inputs: [tiles], outputs: [wt], shape, transposed, bits, fill: st(3, 1, 1), replay, ...(groups > 1 ? { groups } : {}) });
  b.add({
    kind: 'mac', name: n('mac'), origin, inputs: [win, wt], outputs: [macOut], shape, weights: 'dynamic', style: 'stall-all',
    frpBuffer: 0, inBits: bits, weightBits: bits, accBits: acc, weightMemory: { words: 0, wordBits: 0 }, stages: st(4, 1, 3),
  });
  b.add({ kind: 'adapter', name: n('adapter_o'), origin, inputs: [macOut], outputs: [output], tt, tp, channels: co, cip: cop, cop: outCp, bits: acc, stages: st(4, 2, 3) });
  const region = b.region(`${p}.region`, [n('adapter_i'), n('cache_weight')]);
  b.start(n('adapter_i'), n('cache_window'));
  b.start(n('cache_weight'), n('mac'), 3);
  b.start(n('mac'), n('adapter_o'));
  return { region, accBits: acc };
}
