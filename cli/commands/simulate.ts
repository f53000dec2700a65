import { type Command, Option } from 'commander';
import { writeFilesAtomically } from '../files.ts';
import { loadDevice } from '../../src/cost/index.ts';
import { fail } from '../../src/diag/index.ts';
import { designToJson, loadDesign } from '../../src/ir/index.ts';
import { tokenMergedDesign } from '../../src/prune/index.ts';
import { renderTimelineSvg } from '../../src/report/timeline-svg.ts';
import { type DesignSimResult, estimateCycles, simulateDesignConcurrently } from '../../src/sim/index.ts';
import { positiveInt, positiveNumber, printJson } from '../print.ts';
import { LIMITS } from '../limits.ts';
import { startProgress } from '../progress.ts';

interface SimulateOptions {
  design: string;
  images: number;
  clockMhz: number;
  json?: boolean;
  timeline?: string;
  engine: 'fast' | 'reference';
  blocks: boolean;
  network: boolean;
  memo: boolean;
  saveDesign?: string;
  mergeTokens?: string;
  device?: string;
}

export function register(program: Command): void {
  program
    .command('simulate')
    .description('cycle-level simulation of a dataflow design: per-block and whole-network intervals and latencies')
    .requiredOption('--design <name|design.json>', 'a built-in design (hgpipe-deit-tiny) or a design file')
    .option('--images <n>', 'images to report (further input is fed to drain them)', positiveInt('--images', LIMITS.images), 10)
    .option('--clock-mhz <mhz>', 'clock for images/s', positiveNumber('--clock-mhz', LIMITS.clockMHz), 425)
    // The timeline is drawn from the whole-network run.
    .addOption(new Option('--timeline <out.svg>', "write an SVG of each block's busy and stalled time").conflicts('network'))
    .addOption(new Option('--engine <engine>', 'event-skipping engine or the per-cycle reference stepper').choices(['fast', 'reference']).default('fast'))
    .option('--no-blocks', 'skip the per-block isolated runs')
    .option('--no-network', 'skip the whole-network run')
    .option('--no-memo', 'simulate every block of the network in full (exact per-process statistics; slower)')
    .option('--save-design <file.json>', 'also write the (validated) design as a design file')
    .option('--merge-tokens <r|r0,…,r11>', 'token merging as in generate: the built-in design rebuilt at the merged token counts, a merge unit after every merging attention block (docs/TOKEN-MERGING.md)')
    .option('--device <name|file.json>', 'with --merge-tokens: simulate the pruned planner\'s merged design for this device (what merge-sweep simulates)')
    .option('--json', 'print one JSON document')
    .action(async (opts: SimulateOptions) => {
      if (opts.device && !opts.mergeTokens) fail('BAD_ARGUMENT', '--device goes with --merge-tokens (a design file already names its device\'s choices)', '--device');
      const design = opts.mergeTokens ? tokenMergedDesign(opts.design, opts.mergeTokens, opts.device ? loadDevice(opts.device) : undefined).design : loadDesign(opts.design);
      if (opts.saveDesign) writeFilesAtomically([{ path: opts.saveDesign, content: designToJson(design) }]);
      // Progress in simulated cycles of the whole-network run (the long part; the blocks alone run beside it on a
      // second thread), or in blocks when there is no network run.
      const estimate = estimateCycles(design.blocks, opts.images);
      const progress = startProgress('simulate', opts.network ? estimate : design.blocks.length, !opts.json);
      let result: DesignSimResult;
      try {
        result = await simulateDesignConcurrently(design, {
          images: opts.images,
          clockMhz: opts.clockMhz,
          engine: opts.engine,
          blocks: opts.blocks,
          network: opts.network,
          memo: opts.memo,
          timelineBins: opts.timeline ? 400 : undefined,
          onProgress: opts.network ? undefined : (done, _t, what) => progress.update(done, what),
          onNetworkCycle: (c) => progress.update(Math.min(c, estimate - 1), `whole network, cycle ${c.toLocaleString('en-US')}`),
        });
      } finally {
        progress.stop();
      }
      if (opts.timeline && result.network?.chain.timeline) writeFilesAtomically([{ path: opts.timeline, content: renderTimelineSvg(result.network.chain, result.clockMhz) }]);
      if (opts.json) printJson(toJson(result));
      else process.stdout.write(formatText(result, opts.timeline));
      if (result.network && !result.network.completed) process.exitCode = 1;
    });
}

/** The `--json` document (fields documented in docs/DESIGN-FORMAT.md). */
export function toJson(r: DesignSimResult) {
  const n = r.network;
  return {
    design: r.design,
    clockMhz: r.clockMhz,
    images: r.images,
    blocks: r.blocks.map((b) => ({
      name: b.name,
      kind: b.kind,
      steadyInterval: b.steadyInterval,
      firstImageLatency: b.firstImageLatency,
      firstOutput: b.firstOutput,
      analyticInterval: b.analyticInterval,
      analyticProcess: b.analyticProcess,
      inputIntervals: b.inputIntervals,
      outputIntervals: b.outputIntervals,
      bottleneck: b.bottleneck,
      imagesSimulated: b.images,
      sameAs: b.sameAs,
      deadlock: b.deadlock,
    })),
    network: n && {
      steadyInterval: n.steadyInterval,
      imagesPerSecond: n.imagesPerSecond,
      bottleneck: n.bottleneck,
      perImage: n.perImage.map((p) => ({
        image: p.image,
        firstInLastIn: p.firstInLastIn,
        firstOutLastOut: p.firstOutLastOut,
        firstInFirstOut: p.firstInFirstOut,
        lastInLastOut: p.lastInLastOut,
        firstInLastOut: p.firstInLastOut,
        firstIn: p.firstIn,
        lastIn: p.lastIn,
        firstOut: p.firstOut,
        lastOut: p.lastOut,
      })),
      outputIntervals: n.outputIntervals,
      inputIntervals: n.inputIntervals,
      extraInputBeats: n.extraInputBeats,
      blockWindows: n.chain.blockWindows,
      completed: n.completed,
      deadlock: n.deadlock,
      processes: n.chain.processes,
      fifos: n.chain.fifos,
      memo: n.chain.memo,
    },
    simulatedCycles: r.simulatedCycles,
    wallSeconds: Number(r.wallSeconds.toFixed(3)),
  };
}

function formatText(r: DesignSimResult, timeline?: string): string {
  const out: string[] = [`design ${r.design}: ${r.images} images, clock ${r.clockMhz} MHz`];
  const f = (x: number) => x.toLocaleString('en-US');
  if (r.blocks.length) {
    out.push('', 'blocks simulated alone (inputs every cycle, outputs always ready):');
    out.push(`  ${'block'.padEnd(12)}${'interval'.padStart(10)}${'analytic'.padStart(10)}${'1st-image latency'.padStart(19)}  bottleneck`);
    for (const b of r.blocks)
      out.push(`  ${b.name.padEnd(12)}${f(b.steadyInterval).padStart(10)}${f(b.analyticInterval).padStart(10)}${f(b.firstImageLatency).padStart(19)}  ${b.analyticProcess}${b.sameAs ? `  (same structure as ${b.sameAs}: timing reused)` : ''}`);
  }
  const n = r.network;
  if (n) {
    out.push('', 'whole network, cycles per image:');
    out.push(`  ${'image'.padEnd(7)}${'first in→last in'.padStart(18)}${'first out→last out'.padStart(20)}${'first in→first out'.padStart(20)}${'last in→last out'.padStart(18)}${'first in→last out'.padStart(19)}`);
    for (const p of n.perImage)
      out.push(`  ${String(p.image).padEnd(7)}${f(p.firstInLastIn).padStart(18)}${f(p.firstOutLastOut).padStart(20)}${f(p.firstInFirstOut).padStart(20)}${f(p.lastInLastOut).padStart(18)}${f(p.firstInLastOut).padStart(19)}`);
    out.push(`  steady interval ${f(n.steadyInterval)} cycles → ${n.imagesPerSecond.toFixed(0)} images/s at ${r.clockMhz} MHz`);
    out.push(`  bottleneck: ${groupProcessNames(n.bottleneck)}`);
    out.push(`  drained the last image with ${f(n.extraInputBeats)} further input beats`);
    const m = n.chain.memo;
    if (m && m.replayed.length)
      out.push(`  memoised: ${m.replayed.length} of ${n.chain.blocks.length} blocks replayed once they repeated an earlier block's behaviour (${m.rollbacks} rollbacks); boundary timing exact, their per-process statistics estimated (--no-memo for exact ones)`);
    if (n.deadlock) out.push('', n.deadlock.message);
  }
  out.push('', `simulated ${f(r.simulatedCycles)} cycles in ${r.wallSeconds.toFixed(2)} s`);
  if (timeline) out.push(`timeline written to ${timeline}`);
  return out.join('\n') + '\n';
}

/**
 * Process names grouped for reading: "ATTN0.softmax0, ATTN0.softmax1, …, ATTN11.softmax1" becomes
 * "softmax0, softmax1 in ATTN0–ATTN11 (24 processes)".
 */
export function groupProcessNames(names: string[]): string {
  const blocksOf = new Map<string, string[]>();
  for (const n of names) {
    const i = n.indexOf('.');
    const proc = n.slice(i + 1);
    blocksOf.set(proc, [...(blocksOf.get(proc) ?? []), n.slice(0, i)]);
  }
  const procsOf = new Map<string, string[]>();
  for (const [proc, blocks] of blocksOf) procsOf.set(blocks.join(','), [...(procsOf.get(blocks.join(',')) ?? []), proc]);
  const parts = [...procsOf].map(([key, procs]) => {
    const blocks = key.split(',');
    return blocks.length === 1 ? procs.map((p) => `${blocks[0]}.${p}`).join(', ') : `${procs.join(', ')} in ${blockRange(blocks)}`;
  });
  return parts.join('; ') + (names.length > 1 && parts.length < names.length ? ` (${names.length} processes)` : '');
}

/** "ATTN0, ATTN1, …, ATTN11" as "ATTN0–ATTN11" when the numbers run on without a gap; else the list. */
function blockRange(blocks: string[]): string {
  const m = blocks.map((b) => /^(.*?)(\d+)$/.exec(b));
  const prefix = m[0]?.[1];
  const consecutive = m.every((x, i) => x && x[1] === prefix && Number(x[2]) === Number(m[0]![2]) + i);
  return consecutive && blocks.length > 2 ? `${blocks[0]}–${blocks[blocks.length - 1]}` : blocks.join(', ');
}
