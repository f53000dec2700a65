/**
 * A small assembler for hand-written WebAssembly kernels: functions written in the flat (unfolded) WebAssembly text
 * instruction syntax, e.g. `local.get $x i32.const 4 i32.add`, turned into a module that imports one memory
 * (`env.mem`) and exports every function. It knows only the instructions the kernels use; an unknown word throws.
 * Structured control: `block`, `loop`, `if` (no result), `else`, `end`; branch depths are numbers. Memory accesses take
 * an optional `offset=N`; `v128.zero` stands for a v128.const of zeros. Comments run from `;;` to the end of the line.
 */
import { leb, section, sleb, str, vec } from './wasm-encode.ts';

export type ValType = 'i32' | 'i64' | 'f64' | 'v128';
const TYPE: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, f64: 0x7c, v128: 0x7b };

export interface WasmFunction {
  name: string;
  params: Array<[string, ValType]>;
  result?: ValType;
  locals: Array<[string, ValType]>;
  body: string;
}

const PLAIN: Record<string, number[]> = {
  unreachable: [0x00], else: [0x05], end: [0x0b], return: [0x0f], drop: [0x1a], select: [0x1b],
  'i32.eqz': [0x45], 'i32.eq': [0x46], 'i32.ne': [0x47], 'i32.lt_s': [0x48], 'i32.lt_u': [0x49], 'i32.gt_s': [0x4a],
  'i32.gt_u': [0x4b], 'i32.le_s': [0x4c], 'i32.ge_s': [0x4e], 'i32.ge_u': [0x4f],
  'f64.eq': [0x61], 'f64.ne': [0x62], 'f64.lt': [0x63], 'f64.gt': [0x64], 'f64.le': [0x65], 'f64.ge': [0x66],
  'i32.add': [0x6a], 'i32.sub': [0x6b], 'i32.mul': [0x6c], 'i32.and': [0x71], 'i32.or': [0x72], 'i32.xor': [0x73],
  'i32.shl': [0x74], 'i32.shr_s': [0x75], 'i32.shr_u': [0x76],
  'f64.floor': [0x9c], 'f64.add': [0xa0], 'f64.sub': [0xa1], 'f64.mul': [0xa2], 'f64.div': [0xa3],
  'i32.wrap_i64': [0xa7], 'f64.convert_i32_s': [0xb7],
  'i64.add': [0x7c], 'i64.mul': [0x7e], 'i64.shr_s': [0x87], 'i64.lt_s': [0x53], 'i64.gt_s': [0x55],
  'i64.extend_i32_s': [0xac], 'f64.convert_i64_s': [0xb9], 'f64.abs': [0x99], 'f64.min': [0xa4], 'f64.max': [0xa5],
  'i32.trunc_sat_f64_s': [0xfc, 0x02], 'i64.trunc_sat_f64_s': [0xfc, 0x06],
  // SIMD (final numbering), LEB128 sub-opcodes after 0xfd
  'i32x4.splat': [0xfd, 0x11], 'i32x4.add': [0xfd, 0xae, 0x01], 'i32x4.dot_i16x8_s': [0xfd, 0xba, 0x01],
  'i32x4.shl': [0xfd, 0xab, 0x01], 'i32x4.sub': [0xfd, 0xb1, 0x01], 'i32x4.shr_s': [0xfd, 0xac, 0x01], 'i32x4.min_s': [0xfd, 0xb6, 0x01], 'i32x4.max_s': [0xfd, 0xb8, 0x01],
};
/** Memory instructions: opcode and natural alignment (log2). */
const MEMORY: Record<string, [number[], number]> = {
  'i32.load': [[0x28], 2], 'f64.load': [[0x2b], 3], 'i32.load16_s': [[0x2e], 1],
  'i32.store': [[0x36], 2], 'f64.store': [[0x39], 3], 'i32.store16': [[0x3b], 1],
  'v128.load': [[0xfd, 0x00], 4], 'v128.store': [[0xfd, 0x0b], 4],
};
const LOCAL: Record<string, number> = { 'local.get': 0x20, 'local.set': 0x21, 'local.tee': 0x22 };

function f64Bytes(v: number): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, v, true);
  return [...b];
}

function assembleBody(f: WasmFunction): number[] {
  const index = new Map<string, number>();
  [...f.params, ...f.locals].forEach(([name], i) => index.set(name, i));
  const words = f.body.replace(/;;[^\n]*/g, ' ').split(/\s+/).filter((w) => w !== '');
  const code: number[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const next = () => {
      if (i + 1 >= words.length) throw new Error(`${f.name}: ${w} needs an operand`);
      return words[++i];
    };
    if (w in PLAIN) code.push(...PLAIN[w]);
    else if (w in LOCAL) {
      const name = next();
      const at = index.get(name);
      if (at === undefined) throw new Error(`${f.name}: unknown local ${name}`);
      code.push(LOCAL[w], ...leb(at));
    } else if (w in MEMORY) {
      const [op, align] = MEMORY[w];
      let offset = 0;
      if (words[i + 1]?.startsWith('offset=')) offset = Number(next().slice(7));
      code.push(...op, align, ...leb(offset));
    } else if (w === 'block' || w === 'loop' || w === 'if') code.push({ block: 0x02, loop: 0x03, if: 0x04 }[w], 0x40);
    else if (w === 'br' || w === 'br_if') code.push(w === 'br' ? 0x0c : 0x0d, ...leb(Number(next())));
    else if (w === 'i32.const') code.push(0x41, ...sleb(Number(next())));
    else if (w === 'i64.const') code.push(0x42, ...sleb(Number(next()))); // operands within ±2^31 here
    else if (w === 'f64.const') code.push(0x44, ...f64Bytes(Number(next())));
    else if (w === 'i32x4.extract_lane') code.push(0xfd, 0x1b, Number(next()));
    else if (w === 'v128.zero') code.push(0xfd, 0x0c, ...new Array(16).fill(0)); // v128.const of zeros
    else throw new Error(`${f.name}: unknown instruction ${w}`);
  }
  const groups: number[][] = [];
  for (const [, t] of f.locals) {
    const last = groups[groups.length - 1];
    if (last && last[1] === TYPE[t]) last[0]++;
    else groups.push([1, TYPE[t]]);
  }
  const body = [...vec(groups.map(([n, t]) => [...leb(n), t])), ...code, 0x0b];
  return [...leb(body.length), ...body];
}

/** A module of these functions over the memory `env.mem` (at least one page), each exported under its name. */
export function assembleModule(fns: WasmFunction[]): Uint8Array {
  const types = fns.map((f) => [0x60, ...vec(f.params.map(([, t]) => [TYPE[t]])), ...(f.result ? [1, TYPE[f.result]] : [0])]);
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...str('env'), ...str('mem'), 0x02, 0x00, 1]])),
    ...section(3, vec(fns.map((_, i) => leb(i)))),
    ...section(7, vec(fns.map((f, i) => [...str(f.name), 0x00, ...leb(i)]))),
    ...section(10, vec(fns.map(assembleBody))),
  ]);
}

/**
 * A counted loop in the assembler's text: `for (counter = from; counter < limit; counter += step) body` over i32 locals
 * (`limit` is a local's name). Without `from` the counter starts from whatever it holds (a fresh local holds 0).
 */
export function forLoop(counter: string, limit: string, body: string, { from, step = 1 }: { from?: number; step?: number } = {}): string {
  return `
    ${from === undefined ? '' : `i32.const ${from} local.set ${counter}`}
    block loop
      local.get ${counter} local.get ${limit} i32.ge_s br_if 1
      ${body}
      local.get ${counter} i32.const ${step} i32.add local.set ${counter}
      br 0
    end end`;
}
