/**
 * Integer primitives with HG-PIPE's semantics (SPEC §1.0). Values are JS numbers holding exact integers; every
 * intermediate in the model stays below 2^53, so doubles are exact. JavaScript's `>>` truncates to int32, which is
 * wrong for the LayerNorm affine (~2^43) and the residual rescale (~2^34): use floorShift.
 */

/** An HLS integer type: ap_int<bits> when signed, ap_uint<bits> otherwise. */
export interface IntType {
  signed: boolean;
  bits: number;
}

/** Arithmetic shift right = floor(v / 2^s), exact for |v| < 2^53. */
export function floorShift(v: number, s: number): number {
  return Math.floor(v / 2 ** s);
}

export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}


export function typeMin(t: IntType): number {
  return t.signed ? -(2 ** (t.bits - 1)) : 0;
}

export function typeMax(t: IntType): number {
  return t.signed ? 2 ** (t.bits - 1) - 1 : 2 ** t.bits - 1;
}

export function fitsType(v: number, t: IntType): boolean {
  return v >= typeMin(t) && v <= typeMax(t);
}

/** Two's-complement wrap of an exact integer into `t` (keep the low `bits` bits), as an HLS typed assignment does. */
export function wrapToType(v: number, t: IntType): number {
  const m = 2 ** t.bits;
  let r = v - Math.floor(v / m) * m; // v mod 2^bits in [0, m)
  if (t.signed && r >= m / 2) r -= m;
  return r;
}

/** Smallest type of the same signedness that holds v (used to report "the width that would have been enough"). */
export function bitsNeeded(v: number, signed: boolean): number {
  if (signed) {
    let b = 1;
    while (v < -(2 ** (b - 1)) || v > 2 ** (b - 1) - 1) b++;
    return b;
  }
  if (v < 0) return Infinity;
  let b = 1;
  while (v > 2 ** b - 1) b++;
  return b;
}

export function typeName(t: IntType): string {
  return `${t.signed ? 's' : 'u'}${t.bits}`;
}
export * from './wasm-encode.ts';

/** mulberry32: a small seeded PRNG, uniform in [0, 1) (calibration sampling, test fixtures). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
