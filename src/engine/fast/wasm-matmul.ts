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

/**
 * `mm2packed`: the dense kernel over weights packed two output columns to an operand — within each tile of 32 columns,
 * w' = w[c] + 2^12·w[c + 16] (packedWeightLayout) — so each dot product serves four outputs per lane pair. A lane then
 * sums lo + 2^12·hi; over a chunk of at most `chunk` input pairs |lo| ≤ 2047 (the caller bounds chunk by the operand
 * ranges: chunk · 2 · max|x| · max|w| ≤ 2047), so lo is the lane's low 12 bits sign-extended and hi = (lane − lo) / 2^12,
 * both exact; each chunk's lo and hi are added to y (int32 [rows][2·coPadP]). `rows` must be even.
 */
function packedKernel(): WasmFunction {
  const acc = (r: number, k: number) => `$${r === 0 ? 'a' : 'b'}${k}`;
  const each = (f: (r: number, k: number) => string) => [0, 1].flatMap((r) => Array.from({ length: ACC }, (_, k) => f(r, k))).join(' ');
  const step = `
    local.get $xp0 i32.load i32x4.splat local.set $s0 local.get $xp1 i32.load i32x4.splat local.set $s1
    ${Array.from({ length: ACC }, (_, k) => `local.get $wp v128.load offset=${16 * k} local.set $w${k}`).join(' ')}
    ${each((r, k) => `local.get ${acc(r, k)} local.get $s${r} local.get $w${k} i32x4.dot_i16x8_s i32x4.add local.set ${acc(r, k)}`)}`;
  // lo (left in $lo) and hi of accumulator a; `add` adds them to what y holds, else stores them.
  const lo = (a: string) => `local.get ${a} i32.const 20 i32x4.shl i32.const 20 i32x4.shr_s local.tee $lo`;
  const hi = (a: string) => `local.get ${a} local.get $lo i32x4.sub i32.const 12 i32x4.shr_s`;
  const out = (add: boolean) => each((r, k) => {
    const [y, off] = [`local.get $yp${r}`, 16 * k];
    return add
      ? `${y} ${y} v128.load offset=${off} ${lo(acc(r, k))} i32x4.add v128.store offset=${off}
         ${y} ${y} v128.load offset=${off + 64} ${hi(acc(r, k))} i32x4.add v128.store offset=${off + 64}`
      : `${y} ${lo(acc(r, k))} v128.store offset=${off} ${y} ${hi(acc(r, k))} v128.store offset=${off + 64}`;
  });
  const body = `
    local.get $pairs i32.const 2 i32.shl local.set $rowBytes
    local.get $coPadP i32.const 2 i32.shl local.set $wStep
    local.get $coPadP i32.const 3 i32.shl local.set $yRowBytes
    local.get $chunk i32.const 2 i32.shl local.set $chunkBytes
    ${forLoop('$t', '$rows', `
      local.get $x local.get $t local.get $rowBytes i32.mul i32.add local.set $xRow
      ${forLoop('$c0', '$coPadP', `
        local.get $w local.get $c0 i32.const 2 i32.shl i32.add local.set $wp
        local.get $xRow local.set $xp0
        local.get $xRow local.get $rowBytes i32.add local.tee $xp1 local.set $xEnd
        local.get $y local.get $t local.get $yRowBytes i32.mul i32.add local.get $c0 i32.const 3 i32.shl i32.add local.tee $yp0
        local.get $yRowBytes i32.add local.set $yp1
        i32.const 1 local.set $first
        loop
          ${each((r, k) => `v128.zero local.set ${acc(r, k)}`)}
          local.get $xp0 local.get $chunkBytes i32.add local.set $xStop
          local.get $xEnd local.get $xStop local.get $xStop local.get $xEnd i32.gt_u select local.set $xStop
          loop
            ${step}
            local.get $wp local.get $wStep i32.add local.set $wp
            local.get $xp1 i32.const 4 i32.add local.set $xp1
            local.get $xp0 i32.const 4 i32.add local.tee $xp0 local.get $xStop i32.ne br_if 0
          end
          local.get $first if ${out(false)} else ${out(true)} end
          i32.const 0 local.set $first
          local.get $xp0 local.get $xEnd i32.ne br_if 0
        end
      `, { from: 0, step: 16 })}
    `, { from: 0, step: 2 })}`;
  return {
    name: 'mm2packed',
    params: [['$x', 'i32'], ['$w', 'i32'], ['$y', 'i32'], ['$rows', 'i32'], ['$pairs', 'i32'], ['$coPadP', 'i32'], ['$chunk', 'i32']],
    locals: [
      ...['$t', '$c0', '$xRow', '$xp0', '$xp1', '$xEnd', '$xStop', '$wp', '$yp0', '$yp1', '$first', '$rowBytes', '$wStep', '$yRowBytes', '$chunkBytes'].map((n): [string, 'i32'] => [n, 'i32']),
      ...[...Array.from({ length: ACC }, (_, k) => [`$a${k}`, `$b${k}`, `$w${k}`]).flat(), '$s0', '$s1', '$lo'].map((n): [string, 'v128'] => [n, 'v128']),
    ],
    body,
  };
}

/** Bits between the two columns of a packed operand. */
export const PACK_SHIFT = 12;

/**
 * The packed layout [pairs][coPad/2][2] int16 of a kernel layout [pairs][coPad][2] (coPad a multiple of 32): packed
 * column 16·g + j holds w[32·g + j] + 2^12·w[32·g + 16 + j]. Exact when every |w| ≤ 7 (|w'| ≤ 7·4097 < 2^15).
 */
export function packedWeightLayout(data: Int16Array, pairs: number, coPad: number): Int16Array {
  const half = coPad / 2;
  const out = new Int16Array(pairs * half * 2);
  // A tile's 16 low columns are 32 consecutive values of a pair row, its 16 high columns the next 32.
  for (let p = 0; p < pairs; p++)
    for (let g = 0; g < coPad / 32; g++) {
      const from = p * coPad * 2 + 64 * g;
      const to = p * half * 2 + 32 * g;
      for (let j = 0; j < 32; j++) out[to + j] = data[from + j] + (data[from + 32 + j] << PACK_SHIFT);
    }
  return out;
}

export type Matmul = (x: number, w: number, y: number, rows: number, pairs: number, coPad: number) => void;
/** mm2packed(x, w, y, rows, pairs, coPadP, chunk): see packedKernel. */
export type PackedMatmul = (x: number, w: number, y: number, rows: number, pairs: number, coPadP: number, chunk: number) => void;

export function matmulKernels(memory: WebAssembly.Memory): { sparse: Matmul; dense: Matmul; packed: PackedMatmul } {
  const bytes = assembleModule([kernel('mm2', true), kernel('mm2dense', false), packedKernel()]);
  const e = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), { env: { mem: memory } }).exports;
  return { sparse: e.mm2 as Matmul, dense: e.mm2dense as Matmul, packed: e.mm2packed as PackedMatmul };
}
