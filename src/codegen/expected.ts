import { infer, runAttention, runHead, runMlp, runPatchEmbed } from '../engine/index.ts';
import type { Block } from '../ir/index.ts';
import { shapeOf } from '../model/index.ts';
import { WrapLog, hardwareArith, type WrapTally } from '../ops/index.ts';
import { blockTypes, readRefsFileInt32, type HardwareTypes, type ModelWeights } from '../refs/index.ts';
import { join } from 'node:path';
import { blockIndex } from './bind.ts';

/**
 * What each testbench compares against. The generated C++ performs HG-PIPE's typed assignments, i.e. the engine's
 * hardware mode. Where that mode's output equals the golden refs (every block of the reference image), the testbench
 * reads the refs file at run time; where it differs (a wrap that reaches the output), the engine's hardware-mode
 * output is written into the project and the testbench says so.
 */
export interface Expectation {
  /** Block name, or NETWORK. */
  name: string;
  inputRefs: string;
  outputRefs: string;
  /** Values of the output that differ between the engine's hardware mode and the refs. */
  hardwareVsRefs: number;
  /** Engine hardware-mode output; written to expected/ only when it differs from the refs. */
  hardwareOutput: Int32Array;
  wraps: WrapTally[];
  /** Internal streams whose hardware-mode values differ from their refs tensor: the testbench probes them. */
  taps: Tap[];
  /** Token-pruned designs: the block's input from the engine (written to expected/; the refs hold unpruned tensors). */
  inputData?: Int32Array;
  /** Token-pruned designs with an odd count: the real output tokens (the stream carries one more, a padding slot). */
  outputTokens?: number;
  /** Token-reduced designs: what the engine ran (`token pruning`, `token merging`), for the PASS line. */
  reduction?: string;
  /** Token-merged designs: the sizes of the block's input and output tokens (its size link), from the engine. */
  sizesIn?: Int32Array;
  sizesOut?: Int32Array;
}

/** An internal stream the testbench records and compares: with the engine's hardware mode and with the refs. */
export interface Tap {
  stream: string;
  /** Lanes per beat of the stream (tokens per beat × channels per beat). */
  lanes: number;
  refs: string;
  channels: number;
  hardware: Int32Array;
  vsRefs: number;
}

/** Refs tensors ([tokens][channels], stream order) that have a stream of the same content in the IR's blocks. */
function tapCandidates(b: Block): Record<string, string> {
  if (b.norm === 'post' && (b.kind === 'attn' || b.kind === 'mlp')) {
    // post-norm: the input requantizer's codes (when the block has one) and the residual sum; the LayerNorm is the output
    const p = `${b.kind}_${blockIndex(b)}`;
    const common = { [`${p}_xq_output`]: b.kind === 'attn' ? 'lnq_sm' : 'ln_sm', [`${p}_sum`]: 'sum_sm' };
    if (b.kind === 'mlp') return { ...common, [`${p}_matmul1_output`]: 'm1_sm', [`${p}_geluq_output`]: 'ge_sm', [`${p}_matmul2_output`]: 'm2_sm' };
    return {
      ...common, [`${p}_gen_q_matmul_output`]: 'q_sm', [`${p}_gen_k_matmul_output`]: 'k_sm', [`${p}_gen_v_matmul_output`]: 'v_sm',
      [`${p}_qq_output`]: 'qq_sm', [`${p}_kq_output`]: 'kq_sm', [`${p}_vq_output`]: 'vq_sm', [`${p}_gen_o_matmul_output`]: 'o_sm',
    };
  }
  if (b.kind === 'attn') {
    const p = `attn_${blockIndex(b)}`;
    return {
      [`${p}_lnq_output`]: 'lnq_sm', [`${p}_gen_q_matmul_output`]: 'q_sm', [`${p}_gen_k_matmul_output`]: 'k_sm',
      [`${p}_gen_v_matmul_output`]: 'v_sm', [`${p}_qq_output`]: 'qq_sm', [`${p}_kq_output`]: 'kq_sm',
      [`${p}_vq_output`]: 'vq_sm', [`${p}_gen_o_matmul_output`]: 'o_sm',
    };
  }
  if (b.kind === 'mlp') {
    const p = `mlp_${blockIndex(b)}`;
    return { [`${p}_lnq_output`]: 'ln_sm', [`${p}_matmul1_output`]: 'm1_sm', [`${p}_geluq_output`]: 'ge_sm', [`${p}_matmul2_output`]: 'm2_sm' };
  }
  return {};
}

export function refsNames(b: Block): { input: string; output: string } {
  switch (b.kind) {
    case 'patch-embed': return { input: 'patch_embed_input', output: 'patch_embed_output' };
    case 'head': return { input: 'head_input', output: 'head_output' };
    case 'attn': return { input: `attn_${blockIndex(b)}_input`, output: `attn_${blockIndex(b)}_output` };
    case 'mlp': return { input: `mlp_${blockIndex(b)}_input`, output: `mlp_${blockIndex(b)}_output` };
  }
}

function differences(a: Int32Array, b: Int32Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

/** Run one block of the engine in hardware mode on its refs input. */
export function expectBlock(b: Block, w: ModelWeights, types: HardwareTypes, refsDir: string): Expectation {
  const cfg = w.config;
  const { input, output } = refsNames(b);
  const T = cfg.tokens;
  const C = cfg.width;
  const inShape = b.kind === 'patch-embed' ? [T, shapeOf(cfg).patchElements] : [T, C];
  const x = readRefsFileInt32(join(refsDir, `${input}.txt`), inShape);
  const log = new WrapLog(0);
  const arith = hardwareArith(b.name, blockTypes(types, b.name), log);
  const candidates = tapCandidates(b);
  const traced = new Map<string, Int32Array>();
  const trace = (name: string, data: Int32Array) => {
    if (name in candidates) traced.set(name, data.slice());
  };
  let y: Int32Array;
  if (b.kind === 'patch-embed') y = runPatchEmbed(cfg, w.patchEmbed, x, arith);
  else if (b.kind === 'attn') y = runAttention(cfg, blockIndex(b), w.attention[blockIndex(b)], x, arith, trace);
  else if (b.kind === 'mlp') y = runMlp(cfg, blockIndex(b), w.mlp[blockIndex(b)], x, arith, trace);
  else y = runHead(cfg, w.head, x, arith);
  const refs = readRefsFileInt32(join(refsDir, `${output}.txt`), [y.length]);
  // A tensor can differ from its refs only where a typed assignment wrapped; without wraps there is nothing to probe.
  const taps: Tap[] = [];
  if (log.total > 0)
    for (const [name, data] of traced) {
      const stream = candidates[name];
      const st = b.streams.find((s) => s.name === stream);
      if (!st) continue;
      const golden = readRefsFileInt32(join(refsDir, `${name}.txt`), [data.length]);
      const vsRefs = differences(data, golden);
      if (vsRefs > 0) taps.push({ stream, lanes: st.lanes, refs: name, channels: data.length / T, hardware: data, vsRefs });
    }
  return { name: b.name, inputRefs: input, outputRefs: output, hardwareVsRefs: differences(y, refs), hardwareOutput: y, wraps: [...log.tallies.values()], taps };
}

/** The whole network in hardware mode from patch_embed_input. */
export function expectNetwork(w: ModelWeights, types: HardwareTypes, refsDir: string): Expectation {
  const cfg = w.config;
  const x = readRefsFileInt32(join(refsDir, 'patch_embed_input.txt'), [cfg.tokens, shapeOf(cfg).patchElements]);
  const r = infer(w, x, { mode: 'hardware', types, maxWrapEvents: 0 });
  const refs = readRefsFileInt32(join(refsDir, 'network_output.txt'), [r.logits.length]);
  return {
    name: 'NETWORK', inputRefs: 'patch_embed_input', outputRefs: 'network_output',
    hardwareVsRefs: differences(r.logits, refs), hardwareOutput: r.logits, wraps: r.wrapTallies, taps: [],
  };
}

/** One-line description of the wraps, for the testbench's PASS/FAIL line. */
export function wrapNote(e: Expectation): string {
  if (e.wraps.length === 0) return '';
  const total = e.wraps.reduce((s, t) => s + t.count, 0);
  const fields = e.wraps.map((t) => `${t.block}/${t.operator}/${t.field} ${t.count}x`).join(', ');
  const vsRefs = e.hardwareVsRefs < 0 ? '' : `, ${e.hardwareVsRefs === 0 ? 'output equal to refs' : `${e.hardwareVsRefs} output values differ from refs`}`;
  return `engine hardware mode wraps ${total} value${total === 1 ? '' : 's'} (${fields})${vsRefs}`;
}
