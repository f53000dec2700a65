/**
 * The fast path's per-element operators as WebAssembly (scalar, branch-free clamps): table requantization after a
 * matmul, the residual merge, LayerNorm+quant and softmax+quant. Each performs the reference operator's arithmetic
 * (src/ops) with the same float64 operations in the same order — WebAssembly's f64 arithmetic is IEEE-754 exactly
 * like JavaScript's, and a floor of a division by 2^s equals the reference's `>>` wherever that is used — so the
 * results are equal by construction (and tested equal). Integers become table indices or stored codes only after
 * saturating conversion and clamping, as the reference clamps.
 *
 * Typed assignments are not wrapped here: each is compared with its range (±Infinity in ideal mode) and any value
 * outside makes the kernel return 1; the block then reruns on the reference operators, which wrap and record.
 * Scalars and ranges come in a float64 parameter block in memory (`p`), in the order each kernel documents; every
 * 2^k there is the reciprocal 2^−k, by which the kernel multiplies (exactly the reference's division by 2^k).
 */
import { assembleModule, forLoop, type ValType, type WasmFunction } from '../../num/wasm-asm.ts';

type Locals = Array<[string, ValType]>;
const i32 = (...names: string[]): Locals => names.map((n) => [n, 'i32']);
const f64 = (...names: string[]): Locals => names.map((n) => [n, 'f64']);

/** `bad |= v < lo || v > hi` for the f64 on top of the stack (consumed); uses local $chk. */
const check = (lo: string, hi: string) => `local.set $chk local.get $chk local.get ${lo} f64.lt local.get $chk local.get ${hi} f64.gt i32.or local.get $bad i32.or local.set $bad`;
/** Clamp the i32 in local `v` to [lo, hi] (locals or constants pushed by the given snippets), branch-free. */
const clamp = (v: string, lo: string, hi: string) =>
  `${lo} local.get ${v} local.get ${v} ${lo} i32.lt_s select local.set ${v} ${hi} local.get ${v} local.get ${v} ${hi} i32.gt_s select local.set ${v}`;
/** Load f64 number k of the parameter block into a local. */
const param = (k: number, name: string) => `local.get $p f64.load offset=${8 * k} local.set ${name}`;

/**
 * requant(y, ys, rows, cols, bias, tab, bound, out, os, p) → bad. y int32 [rows] rows of ys bytes; bias int32 [cols];
 * tab int16 [bound + 1]; out int16 rows of os bytes. p: accLo, accHi, b, 2^−s, cursorLo, cursorHi.
 * acc = y + bias (int32, wrapping as the reference's Int32Array does); cursor = floor((acc + b) / 2^s); out = tab[clamp].
 */
const requant: WasmFunction = {
  name: 'requant',
  params: [...i32('$y', '$ys', '$rows', '$cols', '$bias', '$tab', '$bound', '$out', '$os', '$p')],
  result: 'i32',
  locals: [...i32('$t', '$o', '$yp', '$bp', '$op', '$ci', '$bad'), ...f64('$chk', '$aLo', '$aHi', '$b', '$sc', '$cLo', '$cHi')],
  body: `
    ${param(0, '$aLo')} ${param(1, '$aHi')} ${param(2, '$b')} ${param(3, '$sc')} ${param(4, '$cLo')} ${param(5, '$cHi')}
    ${forLoop('$t', '$rows', `
      local.get $y local.get $t local.get $ys i32.mul i32.add local.set $yp
      local.get $out local.get $t local.get $os i32.mul i32.add local.set $op
      local.get $bias local.set $bp
      ${forLoop('$o', '$cols', `
        local.get $yp i32.load local.get $bp i32.load i32.add f64.convert_i32_s
        local.tee $chk local.get $b f64.add local.get $sc f64.mul f64.floor
        local.get $chk ${check('$aLo', '$aHi')}
        local.tee $chk i32.trunc_sat_f64_s local.set $ci
        local.get $chk ${check('$cLo', '$cHi')}
        ${clamp('$ci', 'i32.const 0', 'local.get $bound')}
        local.get $op local.get $tab local.get $ci i32.const 1 i32.shl i32.add i32.load16_s i32.store16
        local.get $yp i32.const 4 i32.add local.set $yp
        local.get $bp i32.const 4 i32.add local.set $bp
        local.get $op i32.const 2 i32.add local.set $op
      `, { from: 0 })}
    `)}
    local.get $bad`,
};

/** Horizontal min or max of the i32x4 in local `v` into i32 local `dst`. */
const horizontal = (v: string, dst: string, op: 'lt' | 'gt') =>
  `local.get ${v} i32x4.extract_lane 0 local.set ${dst} ` +
  [1, 2, 3].map((k) => `local.get ${v} i32x4.extract_lane ${k} local.tee $lane local.get ${dst} local.get $lane local.get ${dst} i32.${op}_s select local.set ${dst}`).join(' ');

/**
 * requant4: requant on int32 lanes, four columns at a time (cols a multiple of 4), for an integral int32 b and s ≤ 31:
 * acc + b and its shift are exact in int32 unless acc + b leaves the int32 range, which the tracked extremes reveal
 * (the kernel then returns 1 like any range violation). Same parameter block as requant; b and s also as integers.
 */
const requant4: WasmFunction = {
  name: 'requant4',
  params: [...i32('$y', '$ys', '$rows', '$cols', '$bias', '$tab', '$bound', '$out', '$os', '$p', '$bi', '$s')],
  result: 'i32',
  locals: [
    ...i32('$t', '$o', '$yp', '$bp', '$op', '$lane', '$am', '$aM', '$cm', '$cM'),
    ...f64('$b'),
    ...(['$acc', '$cur', '$bv', '$bnd', '$amin', '$amax', '$cmin', '$cmax', '$zero'].map((n): [string, ValType] => [n, 'v128'])),
  ],
  body: `
    ${param(2, '$b')}
    local.get $bi i32x4.splat local.set $bv
    local.get $bound i32x4.splat local.set $bnd
    i32.const 2147483647 i32x4.splat local.tee $amin local.set $cmin
    i32.const -2147483648 i32x4.splat local.tee $amax local.set $cmax
    ${forLoop('$t', '$rows', `
      local.get $y local.get $t local.get $ys i32.mul i32.add local.set $yp
      local.get $out local.get $t local.get $os i32.mul i32.add local.set $op
      local.get $bias local.set $bp
      ${forLoop('$o', '$cols', `
        local.get $yp v128.load local.get $bp v128.load i32x4.add local.tee $acc
        local.get $amin i32x4.min_s local.set $amin
        local.get $acc local.get $amax i32x4.max_s local.set $amax
        local.get $acc local.get $bv i32x4.add local.get $s i32x4.shr_s local.tee $cur
        local.get $cmin i32x4.min_s local.set $cmin
        local.get $cur local.get $cmax i32x4.max_s local.set $cmax
        local.get $cur local.get $zero i32x4.max_s local.get $bnd i32x4.min_s local.set $cur
        ${[0, 1, 2, 3].map((k) => `local.get $op local.get $tab local.get $cur i32x4.extract_lane ${k} i32.const 1 i32.shl i32.add i32.load16_s i32.store16 offset=${2 * k}`).join(' ')}
        local.get $yp i32.const 16 i32.add local.set $yp
        local.get $bp i32.const 16 i32.add local.set $bp
        local.get $op i32.const 8 i32.add local.set $op
      `, { from: 0, step: 4 })}
    `)}
    ${horizontal('$amin', '$am', 'lt')} ${horizontal('$amax', '$aM', 'gt')} ${horizontal('$cmin', '$cm', 'lt')} ${horizontal('$cmax', '$cM', 'gt')}
    local.get $am f64.convert_i32_s local.get $p f64.load offset=0 f64.lt
    local.get $aM f64.convert_i32_s local.get $p f64.load offset=8 f64.gt i32.or
    local.get $am f64.convert_i32_s local.get $b f64.add f64.const -2147483648 f64.lt i32.or
    local.get $aM f64.convert_i32_s local.get $b f64.add f64.const 2147483647 f64.gt i32.or
    local.get $cm f64.convert_i32_s local.get $p f64.load offset=32 f64.lt i32.or
    local.get $cM f64.convert_i32_s local.get $p f64.load offset=40 f64.gt i32.or`,
};

/**
 * residual(y, ys, rows, cols, bias, x, out, p) → bad. main = y + bias (int32); skip = floor((x·rm + rb) / 2^rs);
 * out = main + skip, stored as int32 (wrapping like an Int32Array store). x, out int32 [rows][cols].
 * p: accLo, accHi, rm, rb, 2^−rs, outLo, outHi.
 */
const residual: WasmFunction = {
  name: 'residual',
  params: [...i32('$y', '$ys', '$rows', '$cols', '$bias', '$x', '$out', '$p')],
  result: 'i32',
  locals: [...i32('$t', '$o', '$yp', '$bp', '$bad'), ...f64('$chk', '$aLo', '$aHi', '$rm', '$rb', '$div', '$oLo', '$oHi', '$main', '$skip')],
  body: `
    ${param(0, '$aLo')} ${param(1, '$aHi')} ${param(2, '$rm')} ${param(3, '$rb')} ${param(4, '$div')} ${param(5, '$oLo')} ${param(6, '$oHi')}
    ${forLoop('$t', '$rows', `
      local.get $y local.get $t local.get $ys i32.mul i32.add local.set $yp
      local.get $bias local.set $bp
      ${forLoop('$o', '$cols', `
        local.get $yp i32.load local.get $bp i32.load i32.add f64.convert_i32_s local.tee $main
        ${check('$aLo', '$aHi')}
        local.get $x i32.load f64.convert_i32_s local.get $rm f64.mul local.get $rb f64.add local.get $div f64.mul f64.floor
        local.tee $skip ${check('$oLo', '$oHi')}
        local.get $out
        local.get $main local.get $skip f64.add local.tee $chk
        i64.trunc_sat_f64_s i32.wrap_i64 i32.store
        local.get $chk ${check('$oLo', '$oHi')}
        local.get $yp i32.const 4 i32.add local.set $yp
        local.get $bp i32.const 4 i32.add local.set $bp
        local.get $x i32.const 4 i32.add local.set $x
        local.get $out i32.const 4 i32.add local.set $out
      `, { from: 0 })}
    `)}
    local.get $bad`,
};

/**
 * layernorm(x, rows, cols, out, os, diff, lnw, lnb, rsq, bound, outMin, outMax, p) → bad. x int32 [rows][cols]; out
 * int16 rows of os bytes; diff f64 scratch [cols]; lnw, lnb f64 [cols]; rsq f64 [bound + 1].
 * p: c1m, half, 2^−c1s, b, 2^−s1, 2^−s2, then (lo, hi) of sum, divc, mu, diff, var, cursor, rsqrt, affine, shift.
 */
const layernorm: WasmFunction = {
  name: 'layernorm',
  params: [...i32('$x', '$rows', '$cols', '$out', '$os', '$diff', '$lnw', '$lnb', '$rsq', '$bound', '$outMin', '$outMax', '$p')],
  result: 'i32',
  locals: [
    ...i32('$t', '$c', '$xp', '$op', '$ci', '$bad'),
    ...f64('$chk', '$c1m', '$half', '$dMean', '$b', '$dVar', '$dOut', '$acc', '$mean', '$var', '$d', '$r'),
    ...f64('$sumLo', '$sumHi', '$divcLo', '$divcHi', '$muLo', '$muHi', '$dLo', '$dHi', '$varLo', '$varHi'),
    ...f64('$curLo', '$curHi', '$rLo', '$rHi', '$affLo', '$affHi', '$shLo', '$shHi'),
  ],
  body: `
    ${param(0, '$c1m')} ${param(1, '$half')} ${param(2, '$dMean')} ${param(3, '$b')} ${param(4, '$dVar')} ${param(5, '$dOut')}
    ${['$sumLo', '$sumHi', '$divcLo', '$divcHi', '$muLo', '$muHi', '$dLo', '$dHi', '$varLo', '$varHi', '$curLo', '$curHi', '$rLo', '$rHi', '$affLo', '$affHi', '$shLo', '$shHi'].map((n, k) => param(6 + k, n)).join(' ')}
    ${forLoop('$t', '$rows', `
      local.get $x local.get $t local.get $cols i32.mul i32.const 2 i32.shl i32.add local.set $xp
      f64.const 0 local.set $acc
      ${forLoop('$c', '$cols', `
        local.get $acc local.get $xp local.get $c i32.const 2 i32.shl i32.add i32.load f64.convert_i32_s f64.add local.set $acc
      `, { from: 0 })}
      local.get $acc ${check('$sumLo', '$sumHi')}
      local.get $acc local.get $c1m f64.mul local.get $half f64.add local.tee $chk ${check('$divcLo', '$divcHi')}
      local.get $chk local.get $dMean f64.mul f64.floor local.tee $mean ${check('$muLo', '$muHi')}
      f64.const 0 local.set $var
      ${forLoop('$c', '$cols', `
        local.get $xp local.get $c i32.const 2 i32.shl i32.add i32.load f64.convert_i32_s local.get $mean f64.sub local.tee $d
        ${check('$dLo', '$dHi')}
        local.get $diff local.get $c i32.const 3 i32.shl i32.add local.get $d f64.store
        local.get $var local.get $d local.get $d f64.mul f64.add local.set $var
      `, { from: 0 })}
      local.get $var ${check('$varLo', '$varHi')}
      local.get $var local.get $b f64.add local.get $dVar f64.mul f64.floor local.tee $chk i32.trunc_sat_f64_s local.set $ci
      local.get $chk ${check('$curLo', '$curHi')}
      ${clamp('$ci', 'i32.const 0', 'local.get $bound')}
      local.get $rsq local.get $ci i32.const 3 i32.shl i32.add f64.load local.tee $r ${check('$rLo', '$rHi')}
      local.get $out local.get $t local.get $os i32.mul i32.add local.set $op
      ${forLoop('$c', '$cols', `
        local.get $diff local.get $c i32.const 3 i32.shl i32.add f64.load local.get $r f64.mul
        local.get $lnw local.get $c i32.const 3 i32.shl i32.add f64.load f64.mul
        local.get $lnb local.get $c i32.const 3 i32.shl i32.add f64.load f64.add local.tee $chk
        ${check('$affLo', '$affHi')}
        local.get $chk local.get $dOut f64.mul f64.floor local.tee $chk i32.trunc_sat_f64_s local.set $ci
        local.get $chk ${check('$shLo', '$shHi')}
        ${clamp('$ci', 'local.get $outMin', 'local.get $outMax')}
        local.get $op local.get $ci i32.store16
        local.get $op i32.const 2 i32.add local.set $op
      `, { from: 0 })}
    `)}
    local.get $bad`,
};

/**
 * softmax(r, is, rows, len, out, os, e, exp, rec1, rec2, bound1, bound2One, bound2Two, outMax, p) → bad. r int32 rows
 * of `is` bytes (QKᵀ scores, also checked against their type); out int16 rows of os bytes; e f64 scratch [len]; exp,
 * rec1, rec2 int32 tables. p: b1, 2^−s1, b2One, 2^−s2One, b2Two, 2^−s2Two, b3One, 2^−s3One, b3Two, 2^−s3Two, then (lo, hi)
 * of scores, minus, cursor1, exp, acc, cursor2One, cursor2Two, recip, affine, cursor3.
 */
const softmax: WasmFunction = {
  name: 'softmax',
  params: [...i32('$r', '$is', '$rows', '$len', '$out', '$os', '$e', '$exp', '$rec1', '$rec2', '$bound1', '$bound2One', '$bound2Two', '$outMax', '$p')],
  result: 'i32',
  locals: [
    ...i32('$row', '$s', '$rp', '$op', '$ci', '$v', '$max', '$bad'),
    ...f64('$chk', '$b1', '$d1', '$b2One', '$d2One', '$b2Two', '$d2Two', '$b3One', '$d3One', '$b3Two', '$d3Two', '$acc', '$c1', '$rec', '$b3', '$d3', '$ev'),
    ...f64('$rLo', '$rHi', '$mLo', '$mHi', '$c1Lo', '$c1Hi', '$eLo', '$eHi', '$accLo', '$accHi', '$c2oLo', '$c2oHi', '$c2tLo', '$c2tHi', '$recLo', '$recHi', '$afLo', '$afHi', '$c3Lo', '$c3Hi'),
  ],
  body: `
    ${['$b1', '$d1', '$b2One', '$d2One', '$b2Two', '$d2Two', '$b3One', '$d3One', '$b3Two', '$d3Two'].map((n, k) => param(k, n)).join(' ')}
    ${['$rLo', '$rHi', '$mLo', '$mHi', '$c1Lo', '$c1Hi', '$eLo', '$eHi', '$accLo', '$accHi', '$c2oLo', '$c2oHi', '$c2tLo', '$c2tHi', '$recLo', '$recHi', '$afLo', '$afHi', '$c3Lo', '$c3Hi'].map((n, k) => param(10 + k, n)).join(' ')}
    ${forLoop('$row', '$rows', `
      local.get $r local.get $row local.get $is i32.mul i32.add local.set $rp
      local.get $rp i32.load local.set $max
      ${forLoop('$s', '$len', `
        local.get $rp local.get $s i32.const 2 i32.shl i32.add i32.load local.tee $v
        f64.convert_i32_s ${check('$rLo', '$rHi')}
        local.get $v local.get $max local.get $v local.get $max i32.gt_s select local.set $max
      `, { from: 0 })}
      f64.const 0 local.set $acc
      ${forLoop('$s', '$len', `
        local.get $max f64.convert_i32_s local.get $rp local.get $s i32.const 2 i32.shl i32.add i32.load f64.convert_i32_s f64.sub
        local.tee $chk ${check('$mLo', '$mHi')}
        local.get $chk local.get $b1 f64.add local.get $d1 f64.mul f64.floor local.tee $chk i32.trunc_sat_f64_s local.set $ci
        local.get $chk ${check('$c1Lo', '$c1Hi')}
        ${clamp('$ci', 'i32.const 0', 'local.get $bound1')}
        local.get $exp local.get $ci i32.const 2 i32.shl i32.add i32.load f64.convert_i32_s local.tee $ev ${check('$eLo', '$eHi')}
        local.get $e local.get $s i32.const 3 i32.shl i32.add local.get $ev f64.store
        local.get $acc local.get $ev f64.add local.set $acc
      `, { from: 0 })}
      local.get $acc ${check('$accLo', '$accHi')}
      local.get $acc local.get $b2One f64.add local.get $d2One f64.mul f64.floor local.tee $c1 ${check('$c2oLo', '$c2oHi')}
      local.get $c1 local.get $bound2One f64.convert_i32_s f64.gt
      if
        local.get $acc local.get $b2Two f64.add local.get $d2Two f64.mul f64.floor local.tee $chk i32.trunc_sat_f64_s local.set $ci
        local.get $chk ${check('$c2tLo', '$c2tHi')}
        ${clamp('$ci', 'i32.const 0', 'local.get $bound2Two')}
        local.get $rec2 local.get $ci i32.const 2 i32.shl i32.add i32.load f64.convert_i32_s local.set $rec
        local.get $b3Two local.set $b3 local.get $d3Two local.set $d3
      else
        local.get $c1 i32.trunc_sat_f64_s local.set $ci
        ${clamp('$ci', 'i32.const 0', 'local.get $bound2One')}
        local.get $rec1 local.get $ci i32.const 2 i32.shl i32.add i32.load f64.convert_i32_s local.set $rec
        local.get $b3One local.set $b3 local.get $d3One local.set $d3
      end
      local.get $rec ${check('$recLo', '$recHi')}
      local.get $out local.get $row local.get $os i32.mul i32.add local.set $op
      ${forLoop('$s', '$len', `
        local.get $e local.get $s i32.const 3 i32.shl i32.add f64.load local.get $rec f64.mul local.tee $chk ${check('$afLo', '$afHi')}
        local.get $chk local.get $b3 f64.add local.get $d3 f64.mul f64.floor local.tee $chk i32.trunc_sat_f64_s local.set $ci
        local.get $chk ${check('$c3Lo', '$c3Hi')}
        ${clamp('$ci', 'i32.const 0', 'local.get $outMax')}
        local.get $op local.get $s i32.const 1 i32.shl i32.add local.get $ci i32.store16
      `, { from: 0 })}
    `)}
    local.get $bad`,
};

export interface OpsKernels {
  requant4(y: number, ys: number, rows: number, cols: number, bias: number, tab: number, bound: number, out: number, os: number, p: number, b: number, s: number): number;
  requant(y: number, ys: number, rows: number, cols: number, bias: number, tab: number, bound: number, out: number, os: number, p: number): number;
  residual(y: number, ys: number, rows: number, cols: number, bias: number, x: number, out: number, p: number): number;
  layernorm(x: number, rows: number, cols: number, out: number, os: number, diff: number, lnw: number, lnb: number, rsq: number, bound: number, outMin: number, outMax: number, p: number): number;
  softmax(r: number, is: number, rows: number, len: number, out: number, os: number, e: number, exp: number, rec1: number, rec2: number, bound1: number, bound2One: number, bound2Two: number, outMax: number, p: number): number;
}

/** The four kernels over `memory` (the SIMD matmul's memory, so tensors pass between them in place). */
export function opsKernels(memory: WebAssembly.Memory): OpsKernels {
  const bytes = assembleModule([requant, residual, layernorm, softmax, requant4]);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), { env: { mem: memory } });
  return instance.exports as unknown as OpsKernels;
}
