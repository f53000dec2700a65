/**
 * Softmax+quant on integers: the reference's float64 arithmetic (src/ops/softmax.ts) is exact integer arithmetic
 * wherever its values stay below 2^53, so here it runs in int32/int64 (no float conversions per element), and the
 * typed-assignment ranges are checked once per row on the row's extremes instead of per element: the scores' own
 * minimum and maximum, the cursor (monotone in max − r), and for the output stage the conservative range
 * [min, max] of exp-table entry × reciprocal. When a row's extremes leave a range or the 2^31 / 2^53 exactness
 * bounds — or a conservative bound merely might — the kernel returns 1 and the caller runs the per-element float64
 * kernel (wasm-ops.ts), which decides exactly. Same parameter block as that kernel.
 */
import { assembleModule, forLoop, type ValType, type WasmFunction } from '../../num/wasm-asm.ts';

const locals = (t: ValType, ...names: string[]): Array<[string, ValType]> => names.map((n) => [n, t]);
const param = (k: number, name: string) => `local.get $p f64.load offset=${8 * k} local.set ${name}`;
/** bad |= (f64 a) < (f64 b) — operands given as instruction snippets. */
const below = (a: string, b: string) => `${a} ${b} f64.lt local.get $bad i32.or local.set $bad`;
const clampI32 = (v: string, hi: string) =>
  `i32.const 0 local.get ${v} local.get ${v} i32.const 0 i32.lt_s select local.set ${v} ${hi} local.get ${v} local.get ${v} ${hi} i32.gt_s select local.set ${v}`;
const ROW_RANGES = ['$rLo', '$rHi', '$mLo', '$mHi', '$c1Lo', '$c1Hi', '$eLo', '$eHi', '$accLo', '$accHi', '$c2oLo', '$c2oHi', '$c2tLo', '$c2tHi', '$recLo', '$recHi', '$afLo', '$afHi', '$c3Lo', '$c3Hi'];
const TWO53 = 2 ** 53;

const softmaxInt: WasmFunction = {
  name: 'softmaxInt',
  params: [
    ...locals('i32', '$r', '$is', '$rows', '$len', '$out', '$os', '$e', '$exp', '$rec1', '$rec2', '$bound1', '$bound2One', '$bound2Two', '$outMax', '$p'),
    ...locals('i32', '$b1', '$s1', '$s3One', '$s3Two', '$tmin', '$tmax'),
  ],
  result: 'i32',
  locals: [
    ...locals('i32', '$row', '$s', '$rp', '$op', '$ci', '$v', '$max', '$min', '$bad', '$s3'),
    ...locals('i64', '$acc', '$rec64', '$b364', '$x', '$outMax64', '$s364'),
    ...locals('f64', '$b1f', '$d1', '$b2One', '$d2One', '$b2Two', '$d2Two', '$b3One', '$d3One', '$b3Two', '$d3Two', '$span', '$accf', '$c1', '$rec', '$b3', '$d3', '$lo', '$hi', '$tminf', '$tmaxf'),
    ...locals('f64', ...ROW_RANGES),
  ],
  body: `
    ${['$b1f', '$d1', '$b2One', '$d2One', '$b2Two', '$d2Two', '$b3One', '$d3One', '$b3Two', '$d3Two'].map((n, k) => param(k, n)).join(' ')}
    ${ROW_RANGES.map((n, k) => param(10 + k, n)).join(' ')}
    local.get $tmin f64.convert_i32_s local.set $tminf
    local.get $tmax f64.convert_i32_s local.set $tmaxf
    local.get $outMax i64.extend_i32_s local.set $outMax64
    ${below('local.get $tminf', 'local.get $eLo')} ${below('local.get $eHi', 'local.get $tmaxf')}
    block loop
      local.get $bad br_if 1
      local.get $row local.get $rows i32.ge_s br_if 1
      local.get $r local.get $row local.get $is i32.mul i32.add local.tee $rp i32.load local.tee $max local.set $min
      ${forLoop('$s', '$len', `
        local.get $rp local.get $s i32.const 2 i32.shl i32.add i32.load local.set $v
        local.get $v local.get $max local.get $v local.get $max i32.gt_s select local.set $max
        local.get $v local.get $min local.get $v local.get $min i32.lt_s select local.set $min
      `, { from: 1 })}
      ;; the row's extremes: scores, minus ∈ [0, span], cursor1 at both ends, int32 room for max − r + b1
      ${below('local.get $min f64.convert_i32_s', 'local.get $rLo')} ${below('local.get $rHi', 'local.get $max f64.convert_i32_s')}
      local.get $max f64.convert_i32_s local.get $min f64.convert_i32_s f64.sub local.set $span
      ${below('f64.const 0', 'local.get $mLo')} ${below('local.get $mHi', 'local.get $span')}
      ${below('f64.const 2147483647', 'local.get $span local.get $b1f f64.abs f64.add')}
      ${below('local.get $b1f local.get $d1 f64.mul f64.floor', 'local.get $c1Lo')}
      ${below('local.get $c1Hi', 'local.get $span local.get $b1f f64.add local.get $d1 f64.mul f64.floor')}
      local.get $bad br_if 1
      i64.const 0 local.set $acc
      ${forLoop('$s', '$len', `
        local.get $max local.get $rp local.get $s i32.const 2 i32.shl i32.add i32.load i32.sub local.get $b1 i32.add local.get $s1 i32.shr_s local.set $ci
        ${clampI32('$ci', 'local.get $bound1')}
        local.get $exp local.get $ci i32.const 2 i32.shl i32.add i32.load local.set $v
        local.get $e local.get $s i32.const 2 i32.shl i32.add local.get $v i32.store
        local.get $acc local.get $v i64.extend_i32_s i64.add local.set $acc
      `, { from: 0 })}
      local.get $acc f64.convert_i64_s local.tee $accf
      local.get $accLo f64.lt local.get $accf local.get $accHi f64.gt i32.or local.get $bad i32.or local.set $bad
      local.get $accf local.get $b2One f64.add local.get $d2One f64.mul f64.floor local.tee $c1
      local.get $c2oLo f64.lt local.get $c1 local.get $c2oHi f64.gt i32.or local.get $bad i32.or local.set $bad
      local.get $c1 local.get $bound2One f64.convert_i32_s f64.gt
      if
        local.get $accf local.get $b2Two f64.add local.get $d2Two f64.mul f64.floor local.tee $lo
        local.get $c2tLo f64.lt local.get $lo local.get $c2tHi f64.gt i32.or local.get $bad i32.or local.set $bad
        local.get $lo i32.trunc_sat_f64_s local.set $ci
        ${clampI32('$ci', 'local.get $bound2Two')}
        local.get $rec2 local.get $ci i32.const 2 i32.shl i32.add i32.load f64.convert_i32_s local.set $rec
        local.get $b3Two local.set $b3 local.get $d3Two local.set $d3 local.get $s3Two local.set $s3
      else
        local.get $c1 i32.trunc_sat_f64_s local.set $ci
        ${clampI32('$ci', 'local.get $bound2One')}
        local.get $rec1 local.get $ci i32.const 2 i32.shl i32.add i32.load f64.convert_i32_s local.set $rec
        local.get $b3One local.set $b3 local.get $d3One local.set $d3 local.get $s3One local.set $s3
      end
      ${below('local.get $rec', 'local.get $recLo')} ${below('local.get $recHi', 'local.get $rec')}
      ;; every e·rec lies in [lo, hi] (e is an exp-table entry); the output cursor is monotone in it
      local.get $tminf local.get $rec f64.mul local.get $tmaxf local.get $rec f64.mul f64.min local.set $lo
      local.get $tminf local.get $rec f64.mul local.get $tmaxf local.get $rec f64.mul f64.max local.set $hi
      ${below('local.get $lo', 'local.get $afLo')} ${below('local.get $afHi', 'local.get $hi')}
      ${below('local.get $lo local.get $b3 f64.add local.get $d3 f64.mul f64.floor', 'local.get $c3Lo')}
      ${below('local.get $c3Hi', 'local.get $hi local.get $b3 f64.add local.get $d3 f64.mul f64.floor')}
      ${below(`f64.const ${TWO53}`, 'local.get $lo f64.abs local.get $b3 f64.abs f64.add')}
      ${below(`f64.const ${TWO53}`, 'local.get $hi f64.abs local.get $b3 f64.abs f64.add')}
      local.get $bad br_if 1
      local.get $rec i64.trunc_sat_f64_s local.set $rec64
      local.get $b3 i64.trunc_sat_f64_s local.set $b364
      local.get $s3 i64.extend_i32_s local.set $s364
      local.get $out local.get $row local.get $os i32.mul i32.add local.set $op
      ${forLoop('$s', '$len', `
        local.get $e local.get $s i32.const 2 i32.shl i32.add i32.load i64.extend_i32_s local.get $rec64 i64.mul local.get $b364 i64.add
        local.get $s364 i64.shr_s local.set $x
        i64.const 0 local.get $x local.get $x i64.const 0 i64.lt_s select local.set $x
        local.get $outMax64 local.get $x local.get $x local.get $outMax64 i64.gt_s select local.set $x
        local.get $op local.get $s i32.const 1 i32.shl i32.add local.get $x i32.wrap_i64 i32.store16
      `, { from: 0 })}
      local.get $row i32.const 1 i32.add local.set $row
      br 0
    end end
    local.get $bad`,
};

export type SoftmaxInt = (
  r: number, is: number, rows: number, len: number, out: number, os: number, e: number, exp: number, rec1: number, rec2: number,
  bound1: number, bound2One: number, bound2Two: number, outMax: number, p: number, b1: number, s1: number, s3One: number, s3Two: number, tmin: number, tmax: number,
) => number;

export function softmaxIntKernel(memory: WebAssembly.Memory): SoftmaxInt {
  const bytes = assembleModule([softmaxInt]);
  return new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), { env: { mem: memory } }).exports.softmaxInt as SoftmaxInt;
}
