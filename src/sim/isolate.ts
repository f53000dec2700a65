import { type Process, processTiming } from '../ir/index.ts';
import { Fifos, Scheduler, type SimProc } from './core.ts';
import { compileLoop } from './pipe.ts';
import { FrpProc, FsmProc, type FsmStepC, LoopProc, UnpackProc } from './procs.ts';
import { SinkProc, SourceProc } from './testbench.ts';
import { StartCtl } from './start.ts';

/**
 * Simulate one process alone — every input offered each cycle, every output always ready, its start always
 * present — and return the cycles between consecutive exit iterations (FINN's "estimate = simulation" check).
 */
export function measureProcess(p: Process, invocations = 3): { cyclesPerInvocation: number[]; exits: number[] } {
  const t = processTiming(p);
  const nIn = p.inputs.length;
  const nOut = p.outputs.length;
  // Deep FIFOs so that neither side ever waits; memory-style latency does not matter with them always full/empty.
  const specs = [...p.inputs, ...p.outputs].map((name) => ({ depth: 64, lat: 1, info: { name, block: 0, role: 'data' as const, producer: -1, consumer: -1 } }));
  const fifos = new Fifos(specs);
  const sim = new Scheduler(fifos, true);
  const ins = Array.from({ length: nIn }, (_, k) => k);
  const outs = Array.from({ length: nOut }, (_, k) => nIn + k);
  let proc: SimProc & { start: StartCtl };
  if (t.style === 'loop') {
    const loop = compileLoop(t.loop, ins, outs);
    proc = t.stall === 'free' ? new FrpProc(sim, 0, p.name, 0, loop, t.frpBuffer) : new LoopProc(sim, 0, p.name, 0, loop);
  } else if (t.style === 'unpack-ii2') proc = new UnpackProc(sim, 0, p.name, 0, t.n, ins[0], outs[0]);
  else {
    const body: FsmStepC[] = t.body.map((s) => (s.kind === 'state' ? s : { kind: 'loop', loop: compileLoop(s.loop, ins, outs) }));
    proc = new FsmProc(sim, 0, p.name, 0, body, t.repeat, t.readyState);
  }
  const start = new StartCtl(sim, 0, [], []);
  start.exits = [];
  proc.start = start;
  const procs: SimProc[] = [proc];
  ins.forEach((f) => procs.push(new SourceProc(sim, procs.length, `src${f}`, f, 1)));
  outs.forEach((f) => procs.push(new SinkProc(sim, procs.length, `sink${f}`, f, 1)));
  sim.init(procs);
  sim.now = -4;
  sim.run(() => start.exits!.length > invocations, 1e8);
  const exits = start.exits;
  return { exits, cyclesPerInvocation: exits.slice(1).map((x, i) => x - exits[i]) };
}
