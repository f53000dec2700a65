/** Mutations an adversarial user (or a damaged disk) makes to each input kind; all driven by one seeded generator. */
export type Rand = () => number;

export const pickWith = (rand: Rand) => <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];

/** Tokens for numeric flags and fields: out of range, not decimal, not finite, padded, empty. */
export const NUMBERS = ['0', '-1', '1e9', '1e308', 'NaN', 'Infinity', '0x10', ' 7 ', '3.5', '-0', '99999999999999999999', '', 'abc', '1e-400', '2147483648', '1'];
const VALUES: unknown[] = [0, -1, 1e12, 1e308, -1e308, 0.5, null, 'x', '', [], {}, true, 2 ** 53, -(2 ** 31), 1e6, 3];

/** Replace one random leaf of a JSON document, delete it, or duplicate it into a huge array. */
export function mutateJson(doc: unknown, rand: Rand): unknown {
  const pick = pickWith(rand);
  const copy = JSON.parse(JSON.stringify(doc));
  const slots: Array<[Record<string, unknown>, string]> = [];
  const walk = (node: unknown) => {
    if (node && typeof node === 'object')
      for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
        slots.push([node as Record<string, unknown>, k]);
        walk(v);
      }
  };
  walk(copy);
  if (slots.length === 0) return copy;
  const [parent, key] = pick(slots);
  const r = rand();
  if (r < 0.15) delete parent[key];
  else if (r < 0.2) parent[key] = Array.from({ length: 5000 }, () => parent[key]);
  else parent[key] = pick(VALUES);
  return copy;
}

/** A JSON file's text, mutated in its structure (usually) or in its bytes (cut short, garbage, empty). */
export function mutateJsonText(doc: unknown, rand: Rand): string {
  const r = rand();
  const text = JSON.stringify(doc);
  if (r < 0.75) return JSON.stringify(mutateJson(doc, rand));
  if (r < 0.85) return text.slice(0, Math.floor(rand() * text.length));
  if (r < 0.95) return text.replace(/:/, ':{');
  return '';
}

/** A binary file (photo, checkpoint, safetensors) cut short, with bytes flipped, its header damaged, or empty. */
export function mutateBytes(bytes: Uint8Array, rand: Rand): Uint8Array {
  const out = new Uint8Array(bytes);
  const r = rand();
  if (r < 0.3) return out.slice(0, Math.floor(rand() * out.length));
  if (r < 0.6) {
    for (let k = 0; k < 1 + Math.floor(rand() * 16); k++) out[Math.floor(rand() * out.length)] = Math.floor(rand() * 256);
    return out;
  }
  if (r < 0.85) {
    for (let k = 0; k < Math.min(out.length, 64); k++) if (rand() < 0.3) out[k] = Math.floor(rand() * 256);
    return out;
  }
  if (r < 0.95) return new Uint8Array(0);
  return new Uint8Array(Buffer.concat([out, Buffer.alloc(4096, 0xff)]));
}

/** A refs-format file (comma-separated integers) with one element replaced, elements missing, or cut short. */
export function mutateRefsText(text: string, rand: Rand): string {
  const pick = pickWith(rand);
  const values = text.split(',').filter((v) => v !== '');
  const r = rand();
  if (r < 0.7) values[Math.floor(rand() * values.length)] = pick([...NUMBERS, '4000', '-4000', '65536', '-2147483649']);
  else if (r < 0.85) values.splice(Math.floor(rand() * values.length), 1 + Math.floor(rand() * 3));
  else return text.slice(0, Math.floor(rand() * text.length));
  return values.join(',') + ',';
}
