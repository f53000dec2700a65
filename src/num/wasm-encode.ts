/**
 * The few pieces of the WebAssembly binary format the hand-assembled kernels (src/ops/simd-matmul.ts,
 * src/float/simd-linear.ts) need: LEB128 integers, sections, vectors and names.
 */

/** Unsigned LEB128. */
export function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (i32.const immediates). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

export const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
export const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
export const str = (s: string): number[] => [...leb(s.length), ...new TextEncoder().encode(s)];
