import { fail } from '../diag/index.ts';
import { type Block, type Process, processCycles, processTiming } from '../ir/index.ts';
import type { BlockTypes } from '../ops/index.ts';
import type { ModelWeights } from '../refs/index.ts';
import { bindProcess, blockInputField } from './bind.ts';
import { ConstTable } from './consts.ts';
import { beatType, emitterOf, type PortType, type ProcCode, type SizeLink, SIZES_IN, SIZES_OUT, ty } from './emit/index.ts';
import { sizeFanout } from './emit/token-merge.ts';
import { CodeWriter, NameScope } from './writer.ts';

/** How a block's input or output tensor [tokens][channels] is laid out on its stream: tp tokens × cp channels a beat. */
export interface PortGeometry {
  tokens: number;
  channels: number;
  tp: number;
  cp: number;
  /** The HLS typedef of the elements. */
  field: string;
}

export interface BlockCode {
  /** C++ namespace and file stem (`attn0`); the block's HLS top function is `<stem>_top`. */
  stem: string;
  header: string;
  params: string;
  source: string;
  input: PortGeometry;
  output: PortGeometry;
  inBeat: string;
  outBeat: string;
  /** Port beat types with typedefs resolved (`vp_vec<vp_int<13>, 2>`), to check that consecutive blocks connect. */
  inResolved: string;
  outResolved: string;
  /** Streams whose element typedef is wider than the IR declares (the IR under-provisions the FIFO width). */
  widthNotes: string[];
  /** Process functions emitted (after sharing identical bodies) and constant elements written. */
  functions: number;
  constElements: number;
  /** Token merging's size link (SizeLink): the top function's `sizes_in` / `sizes_out` ports. */
  sizesIn: boolean;
  sizesOut: boolean;
}

export const blockStem = (b: Block): string => b.name.toLowerCase();

function find<K extends Process['kind']>(b: Block, kind: K, pred: (p: Extract<Process, { kind: K }>) => boolean = () => true) {
  const p = b.processes.find((q) => q.kind === kind && pred(q as Extract<Process, { kind: K }>)) as Extract<Process, { kind: K }> | undefined;
  return p ?? fail('BAD_DESIGN', `block ${b.name} has no ${kind} process where codegen expects one`, `block ${b.name}`);
}

/** Input and output geometry of a block, read from the processes at its ports. */
export function blockPorts(b: Block): { input: PortGeometry; output: PortGeometry } {
  const inField = blockInputField(b);
  switch (b.kind) {
    case 'attn':
    case 'mlp': {
      const ln = find(b, 'layernorm');
      const g = { tokens: ln.tt * ln.tp, channels: ln.channels, tp: ln.tp, cp: ln.cp };
      // a token selector at the end: its selected tokens (in token-pair slots) at its output width
      // (or a merge unit's emit side: its output tokens, likewise)
      const sel = b.processes.find((p) => (p.kind === 'token-select' || p.kind === 'token-merge') && p.side === 'emit');
      const out = sel?.kind === 'token-select' || sel?.kind === 'token-merge' ? { ...g, tokens: Math.ceil(sel.tokensOut / sel.tp) * sel.tp, cp: sel.cpOut } : g;
      return { input: { ...g, field: inField }, output: { ...out, field: b.kind === 'attn' ? '__attn_of_t' : '__mlp_of_t' } };
    }
    case 'patch-embed': {
      const ai = find(b, 'adapter', (p) => p.inputs[0] === b.input.stream);
      const ao = find(b, 'adapter', (p) => p.outputs[0] === b.output.stream);
      return {
        input: { tokens: ai.tt * ai.tp, channels: ai.channels, tp: ai.tp, cp: ai.cip, field: inField },
        output: { tokens: ao.tt * ao.tp, channels: ao.channels, tp: ao.tp, cp: ao.cop, field: '__of_t' },
      };
    }
    case 'head': {
      const cls = find(b, 'cls-select');
      const m = find(b, 'mac');
      return {
        input: { tokens: (cls.beats * cls.lanes) / cls.channels, channels: cls.channels, tp: cls.lanes, cp: 1, field: inField },
        output: { tokens: 1, channels: m.shape.co, tp: 1, cp: 1, field: '__mc_t' },
      };
    }
  }
}

/** Real tokens of an attention block (its softmaxes' valid keys; the block may run a padding slot). */
export function realTokens(b: Block): number {
  const sm = b.processes.find((p) => p.kind === 'softmax');
  return sm?.kind === 'softmax' ? (sm.validKeys ?? sm.keys) : blockPorts(b).input.tokens;
}

/** The IR's analytic cycle count of a process and the loop structure it assumes. */
function cyclesNote(p: Process): string {
  const t = processTiming(p);
  const how = t.style === 'loop' ? 'one pipelined loop at II = 1, exit iteration included'
    : t.style === 'unpack-ii2' ? 'a loop at II = 2'
    : 'pipelined sub-loops one after another, plus FSM states';
  return `${processCycles(p)} cycles per image when never stalled (${how})`;
}

/** Processes in an order where every stream's producer precedes its consumers (HLS dataflow wants this too). */
function topoOrder(b: Block): Process[] {
  const producer = new Map<string, Process>();
  for (const p of b.processes) for (const s of p.outputs) producer.set(s, p);
  const done = new Set<Process>();
  const busy = new Set<Process>();
  const out: Process[] = [];
  const visit = (p: Process): void => {
    if (done.has(p)) return;
    if (busy.has(p)) fail('BAD_DESIGN', `process ${p.name} is on a stream cycle; a dataflow block must be acyclic`, `block ${b.name}`);
    busy.add(p);
    for (const s of p.inputs) {
      const q = producer.get(s);
      if (q) visit(q);
    }
    busy.delete(p);
    done.add(p);
    out.push(p);
  };
  for (const p of b.processes) visit(p);
  return out;
}

function cType(field: string, types: BlockTypes, block: string): string {
  const t = types[field] ?? fail('BAD_ARGUMENT', `hardware types have no ${field} for block ${block}`, 'hardware-types.json');
  return `${t.signed ? 'vp_int' : 'vp_uint'}<${t.bits}>`;
}

/** The C++ of one block: typedef header, constants header, and the dataflow function with one function per process. */
export function emitBlock(b: Block, weights: ModelWeights, types: BlockTypes, designName: string, sizes?: SizeLink): BlockCode {
  const stem = blockStem(b);
  const ports = blockPorts(b);
  const streams = new Map(b.streams.map((s) => [s.name, s]));
  const fieldOf = new Map<string, string>([[b.input.stream, ports.input.field]]);
  const order = topoOrder(b);
  const binds = new Map(order.map((p) => [p, bindProcess(b, p, weights)]));
  for (const p of order) {
    const inFields = p.inputs.map((s) => fieldOf.get(s) ?? fail('BAD_DESIGN', `stream ${s} is read before any process writes it`, `block ${b.name}, process ${p.name}`));
    const outs = emitterOf(p).outFields(p, binds.get(p)!, inFields);
    p.outputs.forEach((s, k) => fieldOf.set(s, outs[k]));
  }
  const widthNotes: string[] = [];
  for (const s of b.streams) {
    const f = fieldOf.get(s.name);
    const t = f ? types[f] : undefined;
    if (t && t.bits > s.bits) widthNotes.push(`stream ${s.name}: the IR declares ${s.bits} bits, the element type ${ty(f!)} has ${t.bits}`);
  }
  const portType = (s: string): PortType => {
    const st = streams.get(s) ?? fail('BAD_DESIGN', `unknown stream ${s}`, `block ${b.name}`);
    const field = fieldOf.get(s) ?? fail('BAD_DESIGN', `stream ${s} has no producer`, `block ${b.name}, stream ${s}`);
    const elem = ty(field);
    return { elem, lanes: st.lanes, beat: beatType(elem, st.lanes) };
  };

  const consts = new ConstTable();
  const fnNames = new NameScope();
  const bodies = new Map<string, string>(); // signature + body → function name, so identical per-head processes share one
  const fnText: string[] = [];
  const calls: Array<{ fn: string; name: string; inputs: string[]; outputs: string[]; arrays: string[]; sides: string[] }> = [];
  const arrays = new Map<string, { name: string; elem: string; size: number }>();
  const sideStreams = new Set<string>();
  const pieces: Array<{ p?: Process; code: ProcCode; ins: PortType[]; outs: PortType[] }> = [];
  // token merging: the block's size input first (a sequential C simulation runs the functions in this order)
  if (sizes?.in) pieces.push({ code: sizeFanout(b, sizes, realTokens(b)), ins: [], outs: [] });
  for (const p of order) {
    const ctx = { block: b, bind: binds.get(p)!, ins: p.inputs.map(portType), outs: p.outputs.map(portType), consts, sizes };
    pieces.push({ p, code: emitterOf(p).emit(p, ctx), ins: ctx.ins, outs: ctx.outs });
  }
  for (const { p, code, ins, outs } of pieces) {
    const name = p?.name ?? 'size_fanout';
    const params = [
      ...code.inNames.map((n, k) => `vp_stream<${ins[k].beat} >& ${n}`),
      ...code.outNames.map((n, k) => `vp_stream<${outs[k].beat} >& ${n}`),
      ...(code.arrays ?? []).map((a) => `${a.elem} ${a.name}[${a.size}]`),
      ...(code.sides ?? []).map((sp) => `vp_stream<size_beat>& ${sp.name}`),
    ];
    for (const sp of code.sides ?? []) if (sp.stream !== SIZES_IN && sp.stream !== SIZES_OUT) sideStreams.add(sp.stream);
    for (const a of code.arrays ?? []) arrays.set(a.name, a);
    const bw = new CodeWriter();
    bw.indent(() => code.body(bw));
    const key = params.join(', ') + '\n' + bw.toString();
    let fn = bodies.get(key);
    if (!fn) {
      fn = fnNames.fresh(name);
      bodies.set(key, fn);
      const w = new CodeWriter();
      w.line(p ? `// ${p.name} (${p.kind}, ${p.origin}): ${code.summary}.` : `// ${name} (token sizes; not an IR process): ${code.summary}.`);
      if (p) w.line(`// ${cyclesNote(p)}.`);
      w.line(`static void ${fn}(${params.join(', ')}) {`);
      w.pragma('INLINE off');
      w.raw(bw.toString().trimEnd());
      w.line('}');
      fnText.push(w.toString());
    } else {
      fnText.push(p ? `// ${p.name} (${p.kind}, ${p.origin}): same code as ${fn}; ${cyclesNote(p)}.\n` : `// ${name}: same code as ${fn}.\n`);
    }
    calls.push({ fn, name, inputs: p?.inputs ?? [], outputs: p?.outputs ?? [], arrays: (code.arrays ?? []).map((a) => a.name), sides: (code.sides ?? []).map((sp) => sp.stream) });
  }
  const sizePorts = `${sizes?.in ? ', vp_stream<size_beat>& sizes_in' : ''}${sizes?.out ? ', vp_stream<size_beat>& sizes_out' : ''}`;

  // Header: typedefs (HG-PIPE's names without the reserved leading underscores) and the block's port types.
  const h = new CodeWriter();
  const guard = `VITPIPE_${stem.toUpperCase()}_H`;
  h.lines([`// ${b.name} (${b.kind}) of design ${designName}: types and top function. Generated by vitpipe.`, `#ifndef ${guard}`, `#define ${guard}`, '', '#include "vitpipe_hls.h"', '']);
  h.block(`namespace ${stem}`, () => {
    for (const field of Object.keys(types)) h.line(`typedef ${cType(field, types, b.name)} ${ty(field)};  // ${field}`);
    h.line(`typedef ${portType(b.input.stream).beat} in_beat;`);
    h.line(`typedef ${portType(b.output.stream).beat} out_beat;`);
    if (sizes) h.line(`typedef vp_vec<${sizes.elem}, 1> size_beat;  // token merging: one token size a beat`);
  }, `}  // namespace ${stem}`);
  h.line();
  h.line(`/** ${b.name}: ${ports.input.tokens}×${ports.input.channels} in (${ports.input.tp}×${ports.input.cp} per beat), ${ports.output.tokens}×${ports.output.channels} out (${ports.output.tp}×${ports.output.cp} per beat). */`);
  if (sizes?.in || sizes?.out) h.line(`// token merging: ${[sizes.in ? 'sizes_in, the input tokens\' sizes' : '', sizes.out ? 'sizes_out, the output tokens\' sizes' : ''].filter(Boolean).join('; ')} (one a beat, in row order)`);
  h.line(`void ${stem}_top(vp_stream<${stem}::in_beat>& in, vp_stream<${stem}::out_beat>& out${sizePorts.replace(/size_beat/g, `${stem}::size_beat`)});`);
  h.line().line(`#endif  // ${guard}`);

  // Block function: one stream per IR stream (depth and storage from the IR), one call per process.
  const w = new CodeWriter();
  w.line(`// ${b.name} (${b.kind}) of design ${designName}: ${b.processes.length} dataflow processes, ${b.streams.length - 2} internal streams. Generated by vitpipe.`);
  w.lines(['// Widths: hardware-types.json (HG-PIPE\'s typedefs); parallelism, loop orders and FIFO depths: the design IR.', `#include "${stem}.h"`, `#include "${stem}_params.h"`, '']);
  w.line(`namespace ${stem} {`).line();
  for (const t of fnText) w.raw(t);
  w.line(`}  // namespace ${stem}`).line();
  w.line(`void ${stem}_top(vp_stream<${stem}::in_beat>& in, vp_stream<${stem}::out_beat>& out${sizePorts.replace(/size_beat/g, `${stem}::size_beat`)}) {`);
  w.indent(() => {
    w.pragma('INTERFACE mode=axis port=in');
    w.pragma('INTERFACE mode=axis port=out');
    if (sizes?.in) w.pragma('INTERFACE mode=axis port=sizes_in');
    if (sizes?.out) w.pragma('INTERFACE mode=axis port=sizes_out');
    w.pragma('INTERFACE mode=ap_ctrl_chain port=return');
    w.pragma('DATAFLOW');
    w.line(`using namespace ${stem};`);
    const names = new NameScope();
    names.reserve(bodies.values());
    if (sizes) names.reserve([SIZES_IN, SIZES_OUT]);
    const varOf = new Map<string, string>([[b.input.stream, names.fresh('in')], [b.output.stream, names.fresh('out')]]);
    for (const s of b.streams) {
      if (varOf.has(s.name)) continue;
      const v = names.fresh(s.name);
      varOf.set(s.name, v);
      const pt = portType(s.name);
      w.line(`vp_stream<${pt.beat} > ${v}("${s.name}");  // ${s.lanes} × ${pt.elem} (IR: ${s.bits} bits), ${s.impl} FIFO`);
      w.pragma(`STREAM variable=${v} depth=${s.depth}`);
      w.pragma(`BIND_STORAGE variable=${v} type=fifo impl=${s.impl === 'memory' ? 'bram' : 'srl'}`);
    }
    varOf.set(SIZES_IN, 'sizes_in').set(SIZES_OUT, 'sizes_out');
    for (const s of sideStreams) {
      const v = names.fresh(s);
      varOf.set(s, v);
      w.line(`vp_stream<size_beat> ${v}("${s}");  // token sizes, one a beat`);
      w.pragma(`STREAM variable=${v} depth=${realTokens(b)}`);
    }
    for (const a of arrays.values()) {
      w.line(`${a.elem} ${a.name}[${a.size}];  // shared by two processes: a ping-pong (PIPO) buffer`);
    }
    for (const c of calls) w.line(`${c.fn}(${[...c.inputs.map((s) => varOf.get(s)!), ...c.outputs.map((s) => varOf.get(s)!), ...c.arrays, ...c.sides.map((s) => varOf.get(s)!)].join(', ')});  // ${c.name}`);
  });
  w.line('}');

  const params = [
    `// ${b.name}: weights, tables and biases from the refs directory, re-tiled for the design's parallelism. Generated by vitpipe.`,
    `#ifndef VITPIPE_${stem.toUpperCase()}_PARAMS_H`,
    `#define VITPIPE_${stem.toUpperCase()}_PARAMS_H`,
    '',
    `namespace ${stem} {`,
    '',
    consts.render(),
    `}  // namespace ${stem}`,
    '',
    `#endif`,
    '',
  ].join('\n');
  return {
    stem,
    header: h.toString(),
    params,
    source: w.toString(),
    input: ports.input,
    output: ports.output,
    inBeat: portType(b.input.stream).beat,
    outBeat: portType(b.output.stream).beat,
    inResolved: beatType(cType(ports.input.field, types, b.name), streams.get(b.input.stream)!.lanes),
    outResolved: beatType(cType(ports.output.field, types, b.name), streams.get(b.output.stream)!.lanes),
    widthNotes,
    functions: bodies.size,
    constElements: consts.elements,
    sizesIn: sizes?.in === true,
    sizesOut: sizes?.out === true,
  };
}
