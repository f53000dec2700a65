/**
 * The fast path's matmul: the same exact 16-bit kernel as src/ops/simd-matmul.ts (`i32x4.dot_i16x8_s`, int32 lanes,
 * same layouts: x int16 [rows][2·pairs], W int16 [pairs][coPad][2], y int32 [rows][coPad]), but two rows at a time, so
 * each weight load serves two rows: 8 accumulators + 2 splats + 4 weights fill x64's 16 vector registers.
 * `mm2` tests each input pair of the two rows for zero and skips it (for sparse inputs: GELU codes, probabilities);
 * `mm2dense` does not test (for LayerNorm codes, which are rarely zero). `rows` must be even.
 */
import { assembleModule, forLoop, type WasmFunction } from '../../num/wasm-asm.ts';

const ACC = 4;

function kernel(name: string, skipZeros: boolean): WasmFunction {
  const acc = (r: number, k: number) => `$${r === 0 ? 'a' : 'b'}${k}`;
  const each = (f: (r: number, k: number) => string) => [0, 1].flatMap((r) => Array.from({ length: ACC }, (_, k) => f(r, k))).join(' ');
  // The skipping kernel has loaded both pairs for its zero test already.
  const splats = skipZeros
    ? 'local.get $xv0 i32x4.splat local.set $s0 local.get $xv1 i32x4.splat local.set $s1'
    : 'local.get $xp0 i32.load i32x4.splat local.set $s0 local.get $xp1 i32.load i32x4.splat local.set $s1';
  const step = `
    ${splats}
    ${Array.from({ length: ACC }, (_, k) => `local.get $wp v128.load offset=${16 * k} local.set $w${k}`).join(' ')}
    ${each((r, k) => `local.get ${acc(r, k)} local.get $s${r} local.get $w${k} i32x4.dot_i16x8_s i32x4.add local.set ${acc(r, k)}`)}`;
  const body = `
    local.get $pairs i32.const 2 i32.shl local.set $rowBytes
    local.get $coPad i32.const 2 i32.shl local.set $wStep
    ${forLoop('$t', '$rows', `
      local.get $x local.get $t local.get $rowBytes i32.mul i32.add local.set $xRow
      ${forLoop('$c0', '$coPad', `
        ${each((r, k) => `v128.zero local.set ${acc(r, k)}`)}
        local.get $w local.get $c0 i32.const 2 i32.shl i32.add local.set $wp
        local.get $xRow local.set $xp0
        local.get $xRow local.get $rowBytes i32.add local.tee $xp1 local.set $xEnd
        loop
          ${skipZeros ? `local.get $xp0 i32.load local.tee $xv0 local.get $xp1 i32.load local.tee $xv1 i32.or if ${step} end` : step}
          local.get $wp local.get $wStep i32.add local.set $wp
          local.get $xp1 i32.const 4 i32.add local.set $xp1
          local.get $xp0 i32.const 4 i32.add local.tee $xp0 local.get $xEnd i32.ne br_if 0
        end
        local.get $y local.get $t local.get $coPad i32.mul local.get $c0 i32.add i32.const 2 i32.shl i32.add local.set $yp
        ${Array.from({ length: ACC }, (_, k) => `local.get $yp local.get $a${k} v128.store offset=${16 * k}`).join(' ')}
        local.get $yp local.get $wStep i32.add local.set $yp
        ${Array.from({ length: ACC }, (_, k) => `local.get $yp local.get $b${k} v128.store offset=${16 * k}`).join(' ')}
      `, { from: 0, step: 16 })}
    `, { step: 2 })}`;
  return {
    name,
    params: [['$x', 'i32'], ['$w', 'i32'], ['$y', 'i32'], ['$rows', 'i32'], ['$pairs', 'i32'], ['$coPad', 'i32']],
    locals: [
      ...['$t', '$c0', '$xRow', '$xp0', '$xp1', '$xEnd', '$wp', '$yp', '$xv0', '$xv1', '$rowBytes', '$wStep'].map((n): [string, 'i32'] => [n, 'i32']),
      ...[...Array.from({ length: ACC }, (_, k) => [`$a${k}`, `$b${k}`, `$w${k}`]).flat(), '$s0', '$s1'].map((n): [string, 'v128'] => [n, 'v128']),
    ],
    body,
  };
}

export type Matmul = (x: number, w: number, y: number, rows: number, pairs: number, coPad: number) => void;

export function matmulKernels(memory: WebAssembly.Memory): { sparse: Matmul; dense: Matmul } {
  const bytes = assembleModule([kernel('mm2', true), kernel('mm2dense', false)]);
  const e = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), { env: { mem: memory } }).exports;
  return { sparse: e.mm2 as Matmul, dense: e.mm2dense as Matmul };
}
