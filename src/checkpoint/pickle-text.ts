/** Decoders for pickle's text and variable-length encodings (protocol 0 lines, LONG1/LONG4, STRING escapes). */

const utf8Strict = new TextDecoder('utf-8', { fatal: true });
export const utf8 = new TextDecoder('utf-8');
export const latin1 = new TextDecoder('latin1');

/** Protocol-2 `str` (STRING/BINSTRING) decoded as torch.load does (utf-8), falling back to latin-1 bytes. */
export function decodeStr(b: Uint8Array): string {
  try {
    return utf8Strict.decode(b);
  } catch {
    return latin1.decode(b);
  }
}

/** Two's-complement little-endian integer (LONG1/LONG4), as a number when it is exact. */
export function decodeLong(b: Uint8Array): number | bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b.length > 0 && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Decimal integer text (INT/LONG/PUT/GET lines). */
export function parseIntText(s: string): number | bigint | undefined {
  if (!/^[+-]?\d{1,4096}$/.test(s)) return undefined;
  const v = BigInt(s);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Python's escape_decode for STRING ('S') lines, after the quotes are stripped. */
export function unescapeBytes(s: string): Uint8Array {
  const out: number[] = [];
  const simple: Record<string, number> = { n: 10, r: 13, t: 9, a: 7, b: 8, f: 12, v: 11, '\\': 92, "'": 39, '"': 34, '\n': -1 };
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\' || i + 1 >= s.length) {
      out.push(s.charCodeAt(i) & 0xff);
      continue;
    }
    const c = s[++i];
    if (c in simple) {
      if (simple[c] >= 0) out.push(simple[c]);
    } else if (c === 'x' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (/[0-7]/.test(c)) {
      const m = /^[0-7]{1,3}/.exec(s.slice(i))![0];
      out.push(parseInt(m, 8) & 0xff);
      i += m.length - 1;
    } else out.push(92, c.charCodeAt(0) & 0xff);
  }
  return Uint8Array.from(out);
}

/** raw-unicode-escape for UNICODE ('V') lines: latin-1 text with \uXXXX and \UXXXXXXXX escapes. */
export function rawUnicodeUnescape(s: string): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, u4?: string, u8?: string) => {
    const cp = parseInt(u4 ?? u8!, 16);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
  });
}
