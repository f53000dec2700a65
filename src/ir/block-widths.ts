import type { AttnHardware, MlpHardware, TableSize } from '../model/index.ts';
import { accBits } from './block-builder.ts';
import type { AttnConfig, MlpConfig } from './config.ts';

/**
 * The integer widths and table sizes a transformer block is built with: the model's own (`ModelHardware`, from a
 * quantized folder's hardware-types.json and tables) or, without them, HG-PIPE's (SPEC §4, DATAFLOW §4.1) with the
 * worst-case accumulator widths of `accBits`.
 */

/** HG-PIPE's requantizer and GELU tables: 64 entries. */
export const HGPIPE_TABLE_ENTRIES = 64;
/** HG-PIPE's per-head score and attention-output streams (r_head, a_head): 10 and 11 bits. */
const HGPIPE_SCORE_STREAM_BITS = 10;
const HGPIPE_HEAD_OUT_BITS = 11;

/** Widths shared by both transformer block kinds. */
interface ResidualWidths {
  /** A post-norm block: LayerNorm after the residual add. */
  post: boolean;
  inBits: number;
  outBits: number;
  /** Post-norm: entries of the input requantizer (`x.quant`), undefined when the input already is the matmuls' codes. */
  inQuantEntries: number | undefined;
  /** Bits of the residual add's result (post-norm: the LayerNorm's input; pre-norm: the block output). */
  sumBits: number;
  rsqrt: TableSize | undefined;
}

export interface AttnWidths extends ResidualWidths {
  /** q, k, v and o accumulators (undefined: accBits of the matmul). */
  qkvAcc: [number | undefined, number | undefined, number | undefined];
  oAcc: number | undefined;
  /** QKᵀ accumulator (undefined: accBits) and the per-head score stream. */
  scoreAcc: number | undefined;
  scoreStream: number;
  /** R·V accumulator (undefined: accBits) and the attention-output streams after it. */
  headAcc: number | undefined;
  headOut: number;
  qkvEntries: [number, number, number];
  aEntries: number;
  exp: TableSize | undefined;
  recip: [TableSize, TableSize] | undefined;
}

export interface MlpWidths extends ResidualWidths {
  fc1Acc: number | undefined;
  fc2Acc: number | undefined;
  actEntries: number;
}

function residualWidths(c: { inBits: number; outBits: number }, post: boolean, hw?: AttnHardware | MlpHardware): ResidualWidths {
  if (!hw) return { post, inBits: c.inBits, outBits: c.outBits, inQuantEntries: undefined, sumBits: c.outBits, rsqrt: undefined };
  return { post, inBits: hw.inBits, outBits: hw.outBits, inQuantEntries: hw.inQuantEntries, sumBits: hw.sumBits ?? hw.outBits, rsqrt: hw.rsqrt };
}

export function attnWidths(c: AttnConfig, post: boolean, hw?: AttnHardware): AttnWidths {
  const base = residualWidths(c, post, hw);
  if (!hw) {
    const t = HGPIPE_TABLE_ENTRIES;
    return {
      ...base, qkvAcc: [undefined, undefined, undefined], oAcc: undefined, scoreAcc: undefined, scoreStream: HGPIPE_SCORE_STREAM_BITS,
      headAcc: undefined, headOut: HGPIPE_HEAD_OUT_BITS, qkvEntries: [t, t, t], aEntries: t, exp: undefined, recip: undefined,
    };
  }
  return {
    ...base, qkvAcc: [hw.qAcc, hw.kAcc, hw.vAcc], oAcc: hw.oAcc, scoreAcc: hw.scoreBits, scoreStream: hw.scoreBits,
    headAcc: hw.headOutBits, headOut: hw.headOutBits, qkvEntries: [hw.qEntries, hw.kEntries, hw.vEntries], aEntries: hw.aEntries,
    exp: hw.exp, recip: hw.recip,
  };
}

export function mlpWidths(c: MlpConfig, post: boolean, hw?: MlpHardware): MlpWidths {
  const base = residualWidths(c, post, hw);
  if (!hw) return { ...base, fc1Acc: undefined, fc2Acc: undefined, actEntries: HGPIPE_TABLE_ENTRIES };
  return { ...base, fc1Acc: hw.fc1Acc, fc2Acc: hw.fc2Acc, actEntries: hw.actEntries };
}

/** An accumulator width: the model's, else the worst case of a dot product of `terms` a×b-bit products. */
export const accOr = (given: number | undefined, a: number, b: number, terms: number): number => given ?? accBits(a, b, terms);
