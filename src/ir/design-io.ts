import { writeFileSync } from 'node:fs';
import { fail, readJsonFile } from '../diag/index.ts';
import { hgpipeDeitTiny, BUILTIN_DESIGNS } from './build-design.ts';
import { PROCESS_KINDS } from './kinds/index.ts';
import { DesignSchema, ProcessSchema } from './schema.ts';
import type { Block, Design, Process } from './types.ts';
import { validateDesign } from './validate.ts';

export const DESIGN_FORMAT = 'vitpipe-design/1';

/** Parse a design document (already JSON-decoded); every error names block, process and field. */
export function parseDesign(raw: unknown, file = 'design'): Design {
  const top = DesignSchema.safeParse(raw);
  if (!top.success) {
    const issue = top.error.issues[0];
    fail('BAD_DESIGN', issue.message, `${file}: ${describePath(raw, issue.path)}`);
  }
  const blocks: Block[] = top.data.blocks.map((b) => {
    const processes = b.processes.map((p, j) => parseProcess(p, b.name, j, file));
    return { ...b, processes };
  });
  try {
    const { name, model, geometry, linkDepth } = top.data;
    return validateDesign({ name, model, ...(geometry ? { geometry } : {}), linkDepth, blocks });
  } catch (e) {
    if (e instanceof Error && 'diagnostic' in e) (e as { diagnostic: { where?: string } }).diagnostic.where = `${file}: ${(e as { diagnostic: { where?: string } }).diagnostic.where}`;
    throw e;
  }
}

function parseProcess(raw: unknown, block: string, j: number, file: string): Process {
  const r = raw as { kind?: unknown; name?: unknown };
  const pname = typeof r?.name === 'string' ? r.name : `processes[${j}]`;
  const at = (f: string) => `${file}: block ${block}, process ${pname}, field ${f}`;
  if (typeof r?.kind !== 'string' || !(PROCESS_KINDS as string[]).includes(r.kind))
    fail('BAD_DESIGN', `unknown process kind '${String(r?.kind)}'; expected one of ${PROCESS_KINDS.join(', ')}`, at('kind'));
  const parsed = ProcessSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    fail('BAD_DESIGN', issue.message, at(issue.path.join('.') || '(process)'));
  }
  return parsed.data as Process;
}

function describePath(raw: unknown, path: PropertyKey[]): string {
  const r = raw as { blocks?: Array<{ name?: string; streams?: Array<{ name?: string }> }> };
  if (path[0] === 'blocks' && typeof path[1] === 'number') {
    const b = r.blocks?.[path[1]];
    const bn = typeof b?.name === 'string' ? b.name : `blocks[${path[1]}]`;
    if (path[2] === 'streams' && typeof path[3] === 'number') {
      const sn = b?.streams?.[path[3]]?.name ?? `streams[${path[3]}]`;
      return `block ${bn}, stream ${sn}, field ${path.slice(4).join('.') || '(stream)'}`;
    }
    return `block ${bn}, field ${path.slice(2).join('.') || '(block)'}`;
  }
  return `field ${path.join('.') || '(design)'}`;
}

/** `--design`: a built-in name or a JSON file. */
export function loadDesign(nameOrFile: string): Design {
  if (nameOrFile === 'hgpipe-deit-tiny') return hgpipeDeitTiny();
  if (!nameOrFile.endsWith('.json'))
    fail('UNKNOWN_NAME', `unknown design '${nameOrFile}'; expected one of ${BUILTIN_DESIGNS.join(', ')} or a .json file`, '--design');
  return parseDesign(readJsonFile(nameOrFile, 'BAD_DESIGN', 'design file'), nameOrFile);
}

export function designToJson(d: Design): string {
  return JSON.stringify({ format: DESIGN_FORMAT, name: d.name, model: d.model, geometry: d.geometry, linkDepth: d.linkDepth, blocks: d.blocks }, null, 1) + '\n';
}

export function saveDesign(d: Design, file: string): void {
  writeFileSync(file, designToJson(d));
}

/** Key identifying a block's timing-relevant structure (names of the block and layer origins left out). */
export function structuralKey(b: Block): string {
  return JSON.stringify({ ...b, name: '', processes: b.processes.map((p) => ({ ...p, origin: '' })) });
}
