import type { Command } from 'commander';
import { writeFilesAtomically } from '../files.ts';
import { estimateDesign, loadDevice } from '../../src/cost/index.ts';
import { blockAnalyticInterval, designToJson, hgpipeDeitTiny } from '../../src/ir/index.ts';
import { loadModelOrFolder } from '../../src/engine/index.ts';
import { plan, type PlanResult } from '../../src/plan/index.ts';
import { paretoSvg } from '../../src/report/pareto-svg.ts';
import { positiveInt, positiveNumber, printJson } from '../print.ts';
import { LIMITS } from '../limits.ts';
import { startProgress } from '../progress.ts';
import { resourceTable, utilisation } from './estimate.ts';
import { planMerged } from './plan-merged.ts';

interface PlanOptions {
  model: string;
  device: string;
  clockMhz?: number;
  targetFps?: number;
  out?: string;
  json?: boolean;
  pareto?: string;
  maxUtilization: number;
  verify: boolean;
  fullNetwork?: boolean;
  mergeTokens?: string;
}

export function register(program: Command): void {
  program
    .command('plan')
    .description('choose per-stage parallelism, buffers and FIFO depths for a ViT on a device; verify by simulation')
    .requiredOption('--model <name|model.json|folder>', 'zoo model (hgpipe-deit-tiny, deit-tiny, deit-small, deit-base), a model file, or a quantized folder (vitpipe quantize)')
    .requiredOption('--device <name|device.json>', 'device from the catalogue or a device file')
    .option('--clock-mhz <f>', 'clock for images/s (default: the device\'s typical clock)', positiveNumber('--clock-mhz', LIMITS.clockMHz))
    .option('--target-fps <n>', 'the smallest design reaching this many images/s (default: the fastest that fits)', positiveInt('--target-fps'))
    .option('--out <design.json>', 'write the chosen design (accepted by simulate, estimate and codegen)')
    .option('--pareto <out.svg>', 'write the throughput-versus-LUT front as SVG (and JSON beside it)')
    .option('--max-utilization <u>', 'share of every device resource a design may use', positiveNumber('--max-utilization', 1), 0.9)
    .option('--no-verify', 'skip the cycle-level simulation of the chosen design')
    .option('--full-network', 'simulate all blocks in one chain instead of PATCH_EMBED→ATTN0→MLP0→HEAD (memoised: about 30 s for DeiT-tiny)')
    .option('--merge-tokens <r|r0,…,r11>', 'plan for token merging (ToMe, docs/TOKEN-MERGING.md): every block at its merged token count, a merge unit after every merging attention block')
    .option('--json', 'print one JSON document')
    .action((opts: PlanOptions) => {
      const t0 = performance.now();
      const model = loadModelOrFolder(opts.model);
      const device = loadDevice(opts.device);
      if (opts.mergeTokens !== undefined) return planMerged(model, device, { ...opts, mergeTokens: opts.mergeTokens });
      const progress = startProgress('plan', 100, !opts.json);
      let r: PlanResult;
      try {
        r = plan({
          model,
          device,
          clockMhz: opts.clockMhz,
          targetFps: opts.targetFps,
          maxUtilization: Math.min(1, opts.maxUtilization),
          verify: opts.verify,
          fullNetwork: opts.fullNetwork,
          onProgress: (done, total, detail) => progress.update(total > 1 ? Math.round((90 * done) / total) : 95, detail),
        });
      } finally {
        progress.stop();
      }
      const reference = model.name === 'hgpipe-deit-tiny' || model.name === 'deit-tiny' ? hgpipeReference(r.clockMhz, device) : null;
      // All outputs or none: a design that does not fit is not written (an existing --out file stays as it was).
      const written = opts.out && r.design && r.fits ? opts.out : undefined;
      writeFilesAtomically([
        ...(written ? [{ path: written, content: designToJson(r.design!) }] : []),
        ...(opts.pareto ? paretoFiles(opts.pareto, r, reference) : []),
      ]);
      const doc = {
        model: r.model,
        device: r.device,
        clockMhz: r.clockMhz,
        steadyInterval: r.steadyInterval,
        imagesPerSecond: round1(r.imagesPerSecond),
        firstImageLatency: r.firstImageLatency,
        resources: roundRes(r.resources),
        fits: r.fits,
        designFile: written ?? null,
        objective: r.objective,
        targetFps: r.targetFps,
        analyticInterval: r.analyticInterval,
        simulated: r.verification !== null,
        imagesPerSecondPerKLut: round1(r.imagesPerSecondPerKLut),
        utilisation: utilisation(r.resources, device.capacity),
        bottleneck: r.bottleneck,
        channelsPerBeat: r.channelsPerBeat,
        headsPerUnit: r.headsPerUnit,
        tokensRun: r.tokensRun,
        parallelism: r.choice,
        movedToUram: r.movedToUram,
        shortfall: r.shortfall,
        verification: r.verification,
        fifoSizing: r.fifoSizing,
        reference,
        candidatesEvaluated: r.candidatesEvaluated,
        paretoFile: opts.pareto ?? null,
        wallSeconds: round1((performance.now() - t0) / 1000),
      };
      if (!r.fits) process.exitCode = 1;
      if (opts.json) return printJson(doc);
      process.stdout.write(formatText(doc, r));
    });
}

const round1 = (v: number) => Math.round(v * 10) / 10;
const roundRes = (r: PlanResult['resources']) => ({ lut: Math.round(r.lut), ff: Math.round(r.ff), dsp: Math.round(r.dsp), bram: Math.ceil(r.bram * 2) / 2, uram: Math.ceil(r.uram) });

/** HG-PIPE's own configuration as vitpipe models it (the built-in design): its interval and estimated LUTs. */
function hgpipeReference(clockMhz: number, device: ReturnType<typeof loadDevice>) {
  const d = hgpipeDeitTiny();
  const interval = Math.max(...d.blocks.map((b) => blockAnalyticInterval(b).cycles));
  const lut = Math.round(estimateDesign(d, device).total.lut);
  const ips = (clockMhz * 1e6) / interval;
  return { design: 'hgpipe-deit-tiny (built-in)', steadyInterval: interval, imagesPerSecond: round1(ips), lut, imagesPerSecondPerKLut: round1(ips / (lut / 1000)) };
}

function paretoFiles(file: string, r: PlanResult, reference: ReturnType<typeof hgpipeReference> | null): { path: string; content: string }[] {
  const marks = [{ lut: r.resources.lut, imagesPerSecond: r.imagesPerSecond, fits: r.fits, label: 'chosen' }];
  if (reference) marks.push({ lut: reference.lut, imagesPerSecond: reference.imagesPerSecond, fits: true, label: 'HG-PIPE config' });
  const svg = paretoSvg(r.pareto.map((p) => ({ lut: p.lut, imagesPerSecond: p.imagesPerSecond, fits: p.fits })), {
    title: `${r.model} on ${r.device.name} at ${r.clockMhz} MHz: throughput vs LUTs`,
    lutCapacity: r.device.capacity.lut,
    marks,
  });
  const json = file.replace(/\.svg$/i, '') + '.json';
  return [
    { path: file, content: svg },
    { path: json, content: JSON.stringify({ model: r.model, device: r.device.name, clockMhz: r.clockMhz, front: r.pareto.map((p) => ({ ...p, imagesPerSecond: round1(p.imagesPerSecond), lut: Math.round(p.lut), resources: roundRes(p.resources) })), chosen: marks[0], reference }, null, 1) + '\n' },
  ];
}

function formatText(doc: Record<string, unknown> & { resources: PlanResult['resources'] }, r: PlanResult): string {
  const cap = r.device.capacity;
  const lines: string[] = [];
  const what = !r.fits ? 'no design fits; the closest one found' : r.objective === 'target-fps' ? `smallest design for ${r.targetFps} images/s` : 'fastest design that fits';
  lines.push(`${r.model} on ${r.device.name} at ${r.clockMhz} MHz (${what})`);
  if (!r.fits) lines.push(`DOES NOT FIT: ${r.shortfall?.message}${doc.designFile === null && r.design ? ' (no design file written)' : ''}`);
  const sim = r.verification ? `simulated; analytic ${r.analyticInterval}` : r.fits ? 'analytic, not simulated' : 'analytic; not simulated since it does not fit';
  lines.push(`  steady interval   ${r.steadyInterval} cycles (${sim}; bottleneck ${r.bottleneck.block} ${r.bottleneck.process})`);
  lines.push(`  throughput        ${Math.round(r.imagesPerSecond).toLocaleString('en-US')} images/s, ${round1(r.imagesPerSecondPerKLut)} images/s per 1,000 LUTs`);
  if (r.firstImageLatency) lines.push(`  first image       ${r.firstImageLatency} cycles (${round1(r.firstImageLatency / r.clockMhz / 1000)} ms; ${r.verification?.latencyMethod})`);
  const ref = doc.reference as ReturnType<typeof hgpipeReference> | null;
  if (ref && r.fits) lines.push(`  HG-PIPE config    ${ref.steadyInterval} cycles, ${Math.round(ref.imagesPerSecond).toLocaleString('en-US')} images/s, ${ref.lut.toLocaleString('en-US')} LUT est. (${ref.imagesPerSecondPerKLut} per kLUT); this plan: ${round1(((r.imagesPerSecond / ref.imagesPerSecond) - 1) * 100)} % more throughput`);
  lines.push(`  stream width      ${r.channelsPerBeat} channel(s) × 2 tokens per beat; ${r.tokensRun} token slots per image`);
  if (r.headsPerUnit > 1) lines.push(`  attention         ${r.headsPerUnit} heads share each QKᵀ/softmax/R·V pipeline`);
  const c = r.choice as Record<string, unknown>;
  lines.push(`  parallelism       ${Object.entries(c).map(([k, v]) => `${k} ${typeof v === 'number' ? v : `${(v as { cip: number }).cip}×${(v as { cop: number }).cop}`}`).join(', ')}`);
  if (r.fifoSizing?.kept) lines.push(`  FIFO depths       kept ${r.fifoSizing.kept}`);
  else if (r.fifoSizing) lines.push(`  FIFO depths       ${r.fifoSizing.resized} FIFOs cut to their simulated peak occupancy (${Math.round(r.fifoSizing.savedBits / 1000)} kbit saved)`);
  if (r.movedToUram.length) lines.push(`  bound to URAM     ${r.movedToUram.map((m) => `${m.count}× ${m.block} ${m.memory} (${m.what}, ${m.depth}×${m.width} bits${m.loadAtStart ? ', written at start-up' : ''})`).join(', ')}`);
  if (r.movedToUram.some((m) => m.loadAtStart)) lines.push('                    (UltraScale+ UltraRAM has no initial contents: those ROMs are loaded once after configuration)');
  const res = doc.resources;
  const util = utilisation(r.resources, cap);
  lines.push('');
  lines.push(resourceTable(res, cap, util));
  if (r.shortfall?.shrink.length) lines.push(`  largest users of ${r.shortfall.resource}: ${r.shortfall.shrink.map((s) => `${s.block} ${s.process} ${Math.round(s.share * 100)} %`).join(', ')}`);
  if (doc.designFile) lines.push(`design written to ${doc.designFile}`);
  if (doc.paretoFile) lines.push(`Pareto front written to ${doc.paretoFile} (and .json)`);
  lines.push(`(${r.candidatesEvaluated} balanced designs evaluated, ${doc.wallSeconds} s)`);
  return lines.join('\n') + '\n';
}
