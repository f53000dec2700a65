import { fail } from '../diag/index.ts';
import { processChecks, processCycles, processPorts, sameSparsity } from './kinds/index.ts';
import { DESIGN_LIMITS, ringSize } from './limits.ts';
import type { Block, Design } from './types.ts';

/** Where a design problem is: names block, process (or stream) and field. */
export function where(block: string, proc: string | undefined, field: string): string {
  return `block ${block}${proc ? `, ${proc}` : ''}, field ${field}`;
}

/** Structural and geometric checks; throws BAD_DESIGN naming block, process and field. Returns the design. */
export function validateDesign(d: Design): Design {
  if (d.blocks.length === 0) fail('BAD_DESIGN', 'a design needs at least one block', `design ${d.name}, field blocks`);
  checkCount(d.linkDepth, DESIGN_LIMITS.fifoDepth, 'link FIFO depth', `design ${d.name}, field linkDepth`);
  const names = new Set<string>();
  for (const b of d.blocks) {
    if (names.has(b.name)) fail('BAD_DESIGN', `duplicate block name '${b.name}'`, where(b.name, undefined, 'name'));
    names.add(b.name);
    validateBlock(b);
  }
  for (let k = 0; k + 1 < d.blocks.length; k++) {
    const a = d.blocks[k];
    const b = d.blocks[k + 1];
    const out = a.streams.find((s) => s.name === a.output.stream)!;
    const inp = b.streams.find((s) => s.name === b.input.stream)!;
    if (out.lanes !== inp.lanes)
      fail('BAD_DESIGN', `input stream '${inp.name}' has ${inp.lanes} lanes but ${a.name} writes ${out.lanes}`, where(b.name, `stream ${inp.name}`, 'lanes'));
  }
  const beats = (d.blocks.length - 1) * ringSize(d.linkDepth) +
    d.blocks.reduce((sum, b) => sum + b.streams.reduce((t, s) => t + ringSize(s.depth), 0) + b.startEdges.reduce((t, e) => t + ringSize(e.depth), 0), 0);
  if (beats > DESIGN_LIMITS.totalFifoBeats)
    fail('BAD_DESIGN', `the design's FIFOs hold ${beats.toLocaleString('en-US')} beats together (power-of-two rings), more than the simulator's ${DESIGN_LIMITS.totalFifoBeats.toLocaleString('en-US')}`, `design ${d.name}, FIFO depths`);
  return d;
}

/** A positive integer count no larger than `max`, or BAD_DESIGN naming the field. */
function checkCount(v: number, max: number, what: string, at: string): void {
  if (!Number.isInteger(v) || v < 1 || v > max) fail('BAD_DESIGN', `${what} must be an integer from 1 to ${max.toLocaleString('en-US')}, got ${v}`, at);
}

export function validateBlock(b: Block): void {
  const streams = new Map(b.streams.map((s) => [s.name, s]));
  if (streams.size !== b.streams.length) fail('BAD_DESIGN', 'duplicate stream name', where(b.name, undefined, 'streams'));
  for (const s of b.streams) {
    const w = (f: string) => where(b.name, `stream ${s.name}`, f);
    checkCount(s.depth, DESIGN_LIMITS.fifoDepth, 'FIFO depth', w('depth'));
    if (!Number.isInteger(s.lanes) || s.lanes < 1) fail('BAD_DESIGN', `lanes must be a positive integer, got ${s.lanes}`, w('lanes'));
    if (!Number.isInteger(s.bits) || s.bits < 1) fail('BAD_DESIGN', `bits must be a positive integer, got ${s.bits}`, w('bits'));
  }
  for (const port of ['input', 'output'] as const)
    if (!streams.has(b[port].stream)) fail('BAD_DESIGN', `unknown stream '${b[port].stream}'`, where(b.name, undefined, `${port}.stream`));
  const producer = new Map<string, string>();
  const consumer = new Map<string, string>();
  const procNames = new Set<string>();
  for (const p of b.processes) {
    const w = (f: string) => where(b.name, `process ${p.name} (${p.kind})`, f);
    if (procNames.has(p.name)) fail('BAD_DESIGN', `duplicate process name '${p.name}'`, w('name'));
    procNames.add(p.name);
    const lanes = processPorts(p);
    for (const dir of ['inputs', 'outputs'] as const) {
      const list = p[dir];
      if (list.length !== lanes[dir].length)
        fail('BAD_DESIGN', `expected ${lanes[dir].length} ${dir}, got ${list.length}`, w(dir));
      list.forEach((sn, k) => {
        const s = streams.get(sn);
        if (!s) fail('BAD_DESIGN', `unknown stream '${sn}'`, w(`${dir}[${k}]`));
        if (s.lanes !== lanes[dir][k])
          fail('BAD_DESIGN', `stream '${sn}' has ${s.lanes} lanes but this port carries ${lanes[dir][k]} per beat (mismatched stream width)`, w(`${dir}[${k}]`));
        const map = dir === 'inputs' ? consumer : producer;
        if (map.has(sn)) fail('BAD_DESIGN', `stream '${sn}' already has a ${dir === 'inputs' ? 'consumer' : 'producer'} (${map.get(sn)})`, w(`${dir}[${k}]`));
        map.set(sn, p.name);
      });
    }
    if (p.kind === 'mac' && p.style === 'free-running' && streams.get(p.inputs[0])?.impl !== 'shift-register')
      fail('BAD_DESIGN', `a free-running MAC reserves its input by occupancy, which is modelled for a shift-register FIFO only`, w('inputs[0]'));
    if ('stages' in p) {
      checkCount(p.stages.depth, DESIGN_LIMITS.stageDepth, 'pipeline depth', w('stages.depth'));
      for (const f of ['read', 'write'] as const)
        if (!Number.isInteger(p.stages[f]) || p.stages[f] < 0 || p.stages[f] > DESIGN_LIMITS.stageDepth)
          fail('BAD_DESIGN', `${f} stage must be an integer from 0 to ${DESIGN_LIMITS.stageDepth.toLocaleString('en-US')}, got ${p.stages[f]}`, w(`stages.${f}`));
    }
    const problems = processChecks(p);
    if (problems.length > 0) fail('BAD_DESIGN', problems[0][1], w(problems[0][0]));
    const cycles = processCycles(p);
    if (!(cycles <= DESIGN_LIMITS.processCycles))
      fail('BAD_DESIGN', `its loop bounds make ${cycles.toLocaleString('en-US')} cycles per image; at most ${DESIGN_LIMITS.processCycles.toLocaleString('en-US')} are simulated`, w('loop bounds (beats, tokens, channels, parallelism)'));
  }
  checkSparsePairs(b);
  for (const s of b.streams) {
    const isIn = s.name === b.input.stream;
    const isOut = s.name === b.output.stream;
    if (!isIn && !producer.has(s.name)) fail('BAD_DESIGN', `stream '${s.name}' has no producer`, where(b.name, `stream ${s.name}`, 'producer'));
    if (!isOut && !consumer.has(s.name)) fail('BAD_DESIGN', `stream '${s.name}' has no consumer`, where(b.name, `stream ${s.name}`, 'consumer'));
  }
  const regions = new Set(b.regions.map((r) => r.name));
  for (const r of b.regions)
    for (const m of r.members)
      if (!procNames.has(m)) fail('BAD_DESIGN', `region member '${m}' is not a process`, where(b.name, `region ${r.name}`, 'members'));
  b.startEdges.forEach((e, k) => {
    for (const end of ['from', 'to'] as const)
      if (!procNames.has(e[end]) && !regions.has(e[end]))
        fail('BAD_DESIGN', `unknown process or region '${e[end]}'`, where(b.name, `startEdges[${k}]`, end));
    checkCount(e.depth, DESIGN_LIMITS.fifoDepth, 'start FIFO depth', where(b.name, `startEdges[${k}]`, 'depth'));
  });
}

/** A block-sparse MAC replays its window cache's beats: both must carry the same tile pattern. */
function checkSparsePairs(b: Block): void {
  const producer = new Map(b.processes.flatMap((p) => p.outputs.map((s) => [s, p] as const)));
  for (const p of b.processes) {
    const src = producer.get(p.inputs[0]);
    if (p.kind !== 'mac' || src?.kind !== 'window-cache') continue;
    if (!sameSparsity(p.sparsity, src.sparsity))
      fail('BAD_DESIGN', `the MAC and its window cache ${src.name} must carry the same block-sparsity pattern (${p.sparsity ? 'the MAC has one' : 'the window has one'}${p.sparsity && src.sparsity ? ', they differ' : ''})`,
        where(b.name, `process ${p.name} (mac)`, 'sparsity'));
  }
}
