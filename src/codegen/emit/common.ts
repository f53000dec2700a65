import type { Block, Process } from '../../ir/index.ts';
import type { Binding } from '../bind.ts';
import type { ConstTable } from '../consts.ts';
import type { CodeWriter } from '../writer.ts';

/** One stream port of a process as the emitter sees it: element typedef, lanes, and the full beat type. */
export interface PortType {
  elem: string;
  lanes: number;
  beat: string;
}

/**
 * Token merging's size link (docs/TOKEN-MERGING.md): the token sizes travel beside the block chain, one size a beat in
 * row order, from a merge unit to the next attention blocks' softmaxes (proportional attention) and merge unit. It is
 * a stream of the generated C++ only: the design format links blocks by one stream, so the simulator and the cost
 * model do not see it (docs/TOKEN-MERGING.md, "Not modelled").
 */
export interface SizeLink {
  /** The block reads its input tokens' sizes (an earlier merge unit made them) on `sizes_in`. */
  in: boolean;
  /** The block writes its output tokens' sizes on `sizes_out` (a later attention block reads them). */
  out: boolean;
  /** Element type of a size (`vp_uint<8>`). */
  elem: string;
  /** The largest size (the model's token count): the softmax bias table has maxSize + 1 entries. */
  maxSize: number;
}

/** Block ports of the size link; other size streams are local to the block. */
export const SIZES_IN = 'sizes_in';
export const SIZES_OUT = 'sizes_out';

/** The size stream a process reads (softmax heads, the merge unit's gather side) inside a block. */
export const sizeStreamOf = (p: Process): string => `sz_${p.name.replace(/[^A-Za-z0-9]/g, '_')}`;

export interface ProcCtx {
  block: Block;
  bind: Binding;
  ins: PortType[];
  outs: PortType[];
  consts: ConstTable;
  /** Token-merged designs: the block's size link. */
  sizes?: SizeLink;
}

/** A size stream parameter (`size_beat`, one size a beat) of a process, and the block stream it is bound to. */
export interface SidePort {
  name: string;
  dir: 'in' | 'out';
  stream: string;
}

/** The C++ of one process: what it computes (for the comment), its port names, and its body. */
export interface ProcCode {
  summary: string;
  inNames: string[];
  outNames: string[];
  /** Arrays shared with another process of the block (passed after the streams; HLS makes each a PIPO). */
  arrays?: Array<{ name: string; elem: string; size: number }>;
  /** Size streams (token merging), passed after the arrays. */
  sides?: SidePort[];
  body(w: CodeWriter): void;
}

/**
 * One emitter per process kind. `outFields` names the HLS typedef each output stream carries (from the binding for
 * compute processes, the input's typedef for data movement); `emit` writes the process.
 */
export interface KindEmitter<P extends Process> {
  outFields(p: P, bind: Binding, inFields: string[]): string[];
  emit(p: P, ctx: ProcCtx): ProcCode;
}

/** HG-PIPE's typedef name (`__attn_q_t`) as the generated C++ spells it (`attn_q_t`: no reserved identifiers). */
export const ty = (field: string): string => field.replace(/^_+/, '');

export const beatType = (elem: string, lanes: number): string => `vp_vec<${elem}, ${lanes}>`;

/** Same typedef on every output as on input 0. */
export const passThrough = <P extends Process>(p: P, _b: Binding, inFields: string[]): string[] => p.outputs.map(() => inFields[0]);

/** A pipelined loop nest: `for` headers from outer to inner, with the PIPELINE pragma in the innermost body. */
export function loopNest(w: CodeWriter, loops: Array<[string, number | string]>, body: () => void, label?: string, ii = 1): void {
  const open = (k: number): void => {
    if (k === loops.length) {
      w.pragma(`PIPELINE II=${ii}`);
      body();
      return;
    }
    const [v, n] = loops[k];
    w.block(`${k === 0 && label ? `${label}: ` : ''}for (int ${v} = 0; ${v} < ${n}; ${v}++)`, () => open(k + 1));
  };
  open(0);
}

export function expect<T extends Binding['role']>(bind: Binding, role: T, p: Process): Extract<Binding, { role: T }> {
  if (bind.role !== role) throw new Error(`process ${p.name}: expected a ${role} binding, got ${bind.role}`);
  return bind as Extract<Binding, { role: T }>;
}
