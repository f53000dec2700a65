import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Readers for the published figures the resource model is checked against (they live outside the repository, in
 * the shared reference folder): the per-block synthesis table of hgpipe/FACTS.md and hgpipe/hls-block-estimates.json.
 */
export interface SynthRow {
  block: string;
  lut: number;
  ff: number;
  dsp: number;
  /** As printed: per-block BRAM, which FACTS.md's note reads as 18-Kb units. */
  bram18: number;
  uram: number;
}

export interface HlsRow {
  block: string;
  lut: number;
  ff: number;
  bram18: number;
}

const num = (s: string) => Number(s.replace(/[,\s]/g, ''));

/** Rows of the "Resources per block after synthesis" table. */
export function readSynthesisTable(sharedDir: string): SynthRow[] {
  const text = readFileSync(join(sharedDir, 'hgpipe', 'FACTS.md'), 'utf8');
  const start = text.indexOf('## Resources per block after synthesis');
  if (start < 0) return [];
  const rows: SynthRow[] = [];
  for (const line of text.slice(start).split('\n').slice(1)) {
    if (line.startsWith('## ')) break;
    const m = /^\|\s*(ATTN\d+|MLP\d+|PATCH_EMBED|HEAD)\s*\|([^|]+)\|([^|]+)\|([^|]+)\|([^|]+)\|([^|]+)\|/.exec(line);
    if (m) rows.push({ block: m[1], lut: num(m[2]), ff: num(m[3]), dsp: num(m[4]), bram18: num(m[5]), uram: num(m[6]) });
  }
  return rows;
}

export function readHlsEstimates(sharedDir: string): HlsRow[] {
  const raw = JSON.parse(readFileSync(join(sharedDir, 'hgpipe', 'hls-block-estimates.json'), 'utf8')) as {
    blocks: Array<{ block: string; lut: number; ff: number; bram18_or_mem: number }>;
  };
  return raw.blocks.map((b) => ({ block: b.block, lut: b.lut, ff: b.ff, bram18: b.bram18_or_mem }));
}
