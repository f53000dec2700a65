/**
 * A tiny code writer: lines, indented blocks and C-identifier helpers. Output is deterministic (no timestamps, stable
 * ordering) so generated projects diff cleanly.
 */
export class CodeWriter {
  private readonly out: string[] = [];
  private depth = 0;

  constructor(private readonly unit = '  ') {}

  /** One line at the current indentation (an empty call writes a blank line). */
  line(text = ''): this {
    this.out.push(text === '' ? '' : this.unit.repeat(this.depth) + text);
    return this;
  }

  lines(texts: readonly string[]): this {
    for (const t of texts) this.line(t);
    return this;
  }

  /** `head {` … `}` with the body indented one level. */
  block(head: string, body: () => void, tail = '}'): this {
    this.line(`${head} {`);
    this.indent(body);
    return this.line(tail);
  }

  indent(body: () => void): this {
    this.depth++;
    try {
      body();
    } finally {
      this.depth--;
    }
    return this;
  }

  /** A pragma line, always at column 0 as HLS tools and people expect. */
  pragma(text: string): this {
    this.out.push(`#pragma HLS ${text}`);
    return this;
  }

  /** Append raw text (already formatted, e.g. a large initializer) without indentation. */
  raw(text: string): this {
    this.out.push(text);
    return this;
  }

  toString(): string {
    return this.out.join('\n') + '\n';
  }
}

/** An IR name (`q.adapter_i`, `k0.unpacked`) as a C identifier (`q_adapter_i`, `k0_unpacked`). */
export function cIdent(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

/** Hands out names that are unique within one scope, keeping the preferred name when it is free. */
export class NameScope {
  private readonly used = new Set<string>();
  /** Mark names as taken (e.g. functions a local variable must not shadow). */
  reserve(names: Iterable<string>): void {
    for (const n of names) this.used.add(n);
  }
  fresh(preferred: string): string {
    let name = cIdent(preferred);
    for (let k = 2; this.used.has(name); k++) name = `${cIdent(preferred)}_${k}`;
    this.used.add(name);
    return name;
  }
}

/** A C integer literal for an exact integer (LL suffix beyond 32 bits). */
export function cInt(v: number): string {
  if (!Number.isSafeInteger(v)) throw new RangeError(`not an exact integer: ${v}`);
  return Math.abs(v) > 2147483647 ? `${v}LL` : String(v);
}
