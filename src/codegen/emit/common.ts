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

export interface ProcCtx {
  block: Block;
  bind: Binding;
  ins: PortType[];
  outs: PortType[];
  consts: ConstTable;
}

/** The C++ of one process: what it computes (for the comment), its port names, and its body. */
export interface ProcCode {
  summary: string;
  inNames: string[];
  outNames: string[];
  /** Arrays shared with another process of the block (passed after the streams; HLS makes each a PIPO). */
  arrays?: Array<{ name: string; elem: string; size: number }>;
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
