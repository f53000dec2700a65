import { type Block, type Design, processTiming } from '../ir/index.ts';
import { type FifoInfo, Fifos, Scheduler, type SimProc } from './core.ts';
import { compileLoop } from './pipe.ts';
import { FrpProc, FsmProc, LoopProc, UnpackProc, type FsmStepC } from './procs.ts';
import { MoverProc, SinkProc, SourceProc } from './testbench.ts';
import { RegionCtl, StartCtl } from './start.ts';
import { Memo, type MemoGate, ReplayProc, cellsOf } from './memo.ts';

/** Cycles simulated before the first input beat, so that every process has taken its start token (RTL reset state). */
export const WARMUP_CYCLES = 256;

/** A design turned into simulator objects. */
export interface Elaborated {
  sim: Scheduler;
  source: SourceProc;
  sink: SinkProc;
  /** Output-side recorders of every block but the last (the sink records the last). */
  outputs: MoverProc[];
  blocks: Block[];
  /** Memoised runs only (see memo.ts). */
  memo: Memo | null;
  /** Per FIFO: the block index and IR stream name it came from (data FIFOs only). */
  fifoStream: Array<{ block: number; stream: string } | null>;
}

interface FifoSpec {
  depth: number;
  lat: number;
  info: FifoInfo;
}

/** Build the simulator for a chain of blocks (one block = "simulated alone"), fed by a source, drained by a sink. */
export function elaborate(
  blocks: Block[], linkDepth: number, fast: boolean, inputBeats = Infinity, memo?: { shapeOf: (b: Block) => string; gate?: MemoGate },
  /** The compiled kernel: whether to use it (Scheduler.compiled) and its patience (Scheduler.kernelPatience). */
  kernel: { compiled?: boolean; patience?: number } = {},
): Elaborated {
  const specs: FifoSpec[] = [];
  const fifoStream: Elaborated['fifoStream'] = [];
  const addFifo = (depth: number, lat: number, info: Omit<FifoInfo, 'producer' | 'consumer'>, stream: { block: number; stream: string } | null) => {
    specs.push({ depth, lat, info: { ...info, producer: -1, consumer: -1 } });
    fifoStream.push(stream);
    return specs.length - 1;
  };
  type Builder = (sim: Scheduler, id: number) => SimProc;
  const makers: Builder[] = [];
  const starts: Array<{ pid: number; ins: number[]; outs: number[]; region?: { name: string; member: number; block: number } }> = [];
  const regionDefs: Array<{ pid: number; name: string; block: number; token: number; outs: number[]; members: number }> = [];
  const streamIds: Array<Map<string, number>> = [];

  blocks.forEach((b, bi) => {
    const ids = new Map<string, number>();
    for (const s of b.streams)
      ids.set(s.name, addFifo(s.depth, s.impl === 'memory' ? 2 : 1, { name: `${b.name}.${s.name}`, block: bi, role: s.name === b.input.stream || s.name === b.output.stream ? 'port' : 'data' }, { block: bi, stream: s.name }));
    streamIds.push(ids);
    // Start FIFOs, one per edge.
    const inEdges = new Map<string, number[]>();
    const outEdges = new Map<string, number[]>();
    for (const e of b.startEdges) {
      const f = addFifo(e.depth, 1, { name: `${b.name}.start:${e.from}->${e.to}`, block: bi, role: 'start' }, null);
      (inEdges.get(e.to) ?? inEdges.set(e.to, []).get(e.to)!).push(f);
      (outEdges.get(e.from) ?? outEdges.set(e.from, []).get(e.from)!).push(f);
    }
    const memberOf = new Map<string, { region: string; member: number }>();
    for (const r of b.regions) r.members.forEach((m, k) => memberOf.set(m, { region: r.name, member: k }));
    for (const p of b.processes) {
      const ins = p.inputs.map((s) => ids.get(s)!);
      const outs = p.outputs.map((s) => ids.get(s)!);
      const t = processTiming(p);
      const name = `${b.name}.${p.name}`;
      let make: Builder;
      if (t.style === 'loop') {
        const loop = compileLoop(t.loop, ins, outs);
        make = t.stall === 'free' ? (sim, id) => new FrpProc(sim, id, name, bi, loop, t.frpBuffer) : (sim, id) => new LoopProc(sim, id, name, bi, loop);
      } else if (t.style === 'unpack-ii2') make = (sim, id) => new UnpackProc(sim, id, name, bi, t.n, ins[0], outs[0]);
      else {
        const body: FsmStepC[] = t.body.map((s) => (s.kind === 'state' ? s : { kind: 'loop', loop: compileLoop(s.loop, ins, outs) }));
        make = (sim, id) => new FsmProc(sim, id, name, bi, body, t.repeat, t.readyState);
      }
      const pid = makers.length;
      makers.push(make);
      const mem = memberOf.get(p.name);
      starts.push({ pid, ins: inEdges.get(p.name) ?? [], outs: outEdges.get(p.name) ?? [], region: mem ? { name: mem.region, member: mem.member, block: bi } : undefined });
    }
    for (const r of b.regions) {
      const pid = makers.length;
      const token = (inEdges.get(r.name) ?? [])[0];
      if (token === undefined) throw new Error(`region ${b.name}.${r.name} has no start edge`);
      regionDefs.push({ pid, name: `${b.name}.${r.name}`, block: bi, token, outs: outEdges.get(r.name) ?? [], members: r.members.length });
      makers.push(() => null as unknown as SimProc); // placeholder, replaced below
    }
  });

  // Testbench and links.
  const first = blocks[0];
  const last = blocks[blocks.length - 1];
  const srcPid = makers.length;
  makers.push((sim, id) => new SourceProc(sim, id, 'source', streamIds[0].get(first.input.stream)!, first.input.beatsPerImage, inputBeats));
  for (let k = 0; k + 1 < blocks.length; k++) {
    const out = streamIds[k].get(blocks[k].output.stream)!;
    const inp = streamIds[k + 1].get(blocks[k + 1].input.stream)!;
    const link = addFifo(linkDepth, 2, { name: `link:${blocks[k].name}->${blocks[k + 1].name}`, block: k, role: 'link' }, null);
    makers.push((sim, id) => new MoverProc(sim, id, `${blocks[k].name}.out->link`, k, out, link, blocks[k].output.beatsPerImage));
    makers.push((sim, id) => new MoverProc(sim, id, `link->${blocks[k + 1].name}.in`, k + 1, link, inp));
  }
  const sinkPid = makers.length;
  makers.push((sim, id) => new SinkProc(sim, id, 'sink', streamIds[blocks.length - 1].get(last.output.stream)!, last.output.beatsPerImage));
  const replayFrom = makers.length;
  if (memo) blocks.forEach((b) => makers.push((sim, id) => new ReplayProc(sim, id, `${b.name}.replay`)));

  const fifos = new Fifos(specs);
  const sim = new Scheduler(fifos, fast);
  sim.compiled = kernel.compiled ?? true;
  if (kernel.patience !== undefined) sim.kernelPatience = kernel.patience;
  const regionById = new Map<number, RegionCtl>();
  for (const r of regionDefs) regionById.set(r.pid, new RegionCtl(sim, r.pid, r.name, r.block, r.token, r.outs, r.members));
  const procs: SimProc[] = makers.map((m, id) => (regionById.get(id) as unknown as SimProc) ?? m(sim, id));
  const regionByName = new Map(regionDefs.map((r) => [r.name, regionById.get(r.pid)!]));
  for (const s of starts) {
    const p = procs[s.pid] as LoopProc;
    const ctl = new StartCtl(sim, s.pid, s.ins, s.outs);
    if (s.region) {
      ctl.region = regionByName.get(`${blocks[s.region.block].name}.${s.region.name}`)!;
      ctl.member = s.region.member;
    }
    p.start = ctl;
  }
  // Producer/consumer of every FIFO, for the deadlock report.
  const setEnds = (f: number, prod: number, cons: number) => {
    if (prod >= 0) fifos.info[f].producer = prod;
    if (cons >= 0) fifos.info[f].consumer = cons;
  };
  for (const s of starts) {
    for (const f of s.ins) setEnds(f, -1, s.pid);
    for (const f of s.outs) setEnds(f, s.pid, -1);
  }
  for (const r of regionDefs) {
    setEnds(r.token, -1, r.pid);
    for (const f of r.outs) setEnds(f, r.pid, -1);
  }
  for (const p of procs) {
    const q = p as unknown as { inF?: number; outF?: number; loop?: { fifo: Int32Array; isWrite: Uint8Array }; body?: FsmStepC[] };
    if (q.inF !== undefined) setEnds(q.inF, -1, p.id);
    if (q.outF !== undefined) setEnds(q.outF, p.id, -1);
    const loops = [q.loop, ...(q.body ?? []).map((s) => (s.kind === 'loop' ? s.loop : undefined))];
    for (const L of loops) if (L) L.fifo.forEach((f, a) => (L.isWrite[a] ? setEnds(f, p.id, -1) : setEnds(f, -1, p.id)));
  }
  sim.init(procs);
  sim.now = -WARMUP_CYCLES;
  let m: Memo | null = null;
  if (memo) {
    const inPort = streamIds[0].get(first.input.stream)!;
    const outPort = streamIds[blocks.length - 1].get(last.output.stream)!;
    m = new Memo(sim, cellsOf(blocks, procs, fifos, inPort, outPort, memo.shapeOf), memo.gate);
    m.cells.forEach((cell, k) => {
      const r = procs[replayFrom + k] as ReplayProc;
      r.bind(m!, cell);
      m!.replayers.push(r);
    });
    sim.memo = m;
    m.testbench = { source: procs[srcPid] as SourceProc, sink: procs[sinkPid] as SinkProc };
  }
  const outputs = procs.filter((p): p is MoverProc => p instanceof MoverProc && p.perImage > 0);
  return { sim, source: procs[srcPid] as SourceProc, sink: procs[sinkPid] as SinkProc, outputs, blocks, fifoStream, memo: m };
}

/** Blocks of a design to simulate: all of them, or one by name. */
export function blocksOf(d: Design, only?: string): Block[] {
  return only ? d.blocks.filter((b) => b.name === only) : d.blocks;
}
