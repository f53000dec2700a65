import type { Block, Process } from '../../src/ir/index.ts';

/** Every distinct process configuration (names and origins aside) of the blocks, grouped by kind. */
export function distinctProcessesByKind(blocks: readonly Block[]): Map<string, Process[]> {
  const seen = new Map<string, Process>();
  for (const b of blocks)
    for (const p of b.processes) {
      const key = JSON.stringify({ ...p, name: '', origin: '', inputs: p.inputs.length, outputs: p.outputs.length });
      if (!seen.has(key)) seen.set(key, p);
    }
  const byKind = new Map<string, Process[]>();
  for (const p of seen.values()) byKind.set(p.kind, [...(byKind.get(p.kind) ?? []), p]);
  return byKind;
}
