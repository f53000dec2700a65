import { processCycles } from './kinds/index.ts';
import type { Block, Design } from './types.ts';

/** Canonical one-line-per-node text form of a block (stable; tests compare with it). */
export function printBlock(b: Block): string {
  const lines = [`block ${b.name} (${b.kind}) in=${b.input.stream}×${b.input.beatsPerImage} out=${b.output.stream}×${b.output.beatsPerImage}`];
  for (const s of b.streams) lines.push(`  stream ${s.name} ${s.lanes}x${s.bits}b depth=${s.depth} ${s.impl}`);
  for (const p of b.processes)
    lines.push(`  process ${p.name} ${p.kind} [${p.inputs.join(',')}] -> [${p.outputs.join(',')}] cycles=${processCycles(p)}`);
  for (const e of b.startEdges) lines.push(`  start ${e.from} -> ${e.to} depth=${e.depth}`);
  for (const r of b.regions) lines.push(`  region ${r.name} {${r.members.join(',')}}`);
  return lines.join('\n');
}

export function printDesign(d: Design): string {
  return [`design ${d.name} model=${d.model} link=${d.linkDepth}`, ...d.blocks.map(printBlock)].join('\n');
}

/** The block's analytic interval: the slowest process's cycles per image. */
export function blockAnalyticInterval(b: Block): { cycles: number; process: string } {
  let best = { cycles: 0, process: '' };
  for (const p of b.processes) {
    const c = processCycles(p);
    if (c > best.cycles) best = { cycles: c, process: p.name };
  }
  return best;
}
