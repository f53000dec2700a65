import { writeFilesAtomically } from '../files.ts';
import { fail } from '../../src/diag/index.ts';
import type { Device } from '../../src/cost/index.ts';
import { designToJson } from '../../src/ir/index.ts';
import { mergeRates } from '../../src/merge/index.ts';
import type { ViTConfig } from '../../src/model/index.ts';
import { mergeSetting, planPruned, prunedNetwork } from '../../src/prune/index.ts';
import { simulateNetwork } from '../../src/sim/index.ts';
import { printJson } from '../print.ts';
import { resourceTable, utilisation } from './estimate.ts';

export interface MergedPlanOptions {
  mergeTokens: string;
  clockMhz?: number;
  maxUtilization: number;
  verify: boolean;
  out?: string;
  json?: boolean;
  targetFps?: number;
  pareto?: string;
}

/**
 * `plan --merge-tokens`: the pruned planner's design with a merge unit after every merging attention block (what
 * merge-sweep and `generate --merge-tokens --device` use), every block at its own token count; verified by simulating
 * the whole chain for 4 images unless --no-verify.
 */
export function planMerged(model: ViTConfig, device: Device, opts: MergedPlanOptions): void {
  if (opts.targetFps !== undefined || opts.pareto) fail('BAD_ARGUMENT', 'with --merge-tokens the planner picks the fastest design that fits; --target-fps and --pareto are not available', opts.targetFps !== undefined ? '--target-fps' : '--pareto');
  const t0 = performance.now();
  const setting = mergeSetting(opts.mergeTokens, model.depth);
  const pd = planPruned({ model, device, setting, maxUtilization: Math.min(1, opts.maxUtilization) });
  const design = prunedNetwork(model, pd, setting, device);
  const clockMhz = opts.clockMhz ?? device.clockMhz;
  const sim = opts.verify && pd.fits ? simulateNetwork(design, { images: 4 }) : null;
  const interval = sim?.completed ? sim.steadyInterval : pd.interval;
  const written = opts.out && pd.fits && (sim?.completed ?? true) ? opts.out : undefined;
  writeFilesAtomically(written ? [{ path: written, content: designToJson(design) }] : []);
  const doc = {
    model: model.name,
    device: device.name,
    clockMhz,
    mergeTokens: mergeRates(setting.mergeTokens!, model.depth),
    steadyInterval: interval,
    analyticInterval: pd.interval,
    simulated: sim !== null,
    deadlock: sim !== null && !sim.completed,
    imagesPerSecond: Math.round(((clockMhz * 1e6) / interval) * 10) / 10,
    bottleneck: pd.bottleneck,
    fits: pd.fits,
    resources: { lut: Math.round(pd.resources.lut), ff: Math.round(pd.resources.ff), dsp: Math.round(pd.resources.dsp), bram: Math.ceil(pd.resources.bram * 2) / 2, uram: Math.ceil(pd.resources.uram) },
    utilisation: utilisation(pd.resources, device.capacity),
    mergeUnits: pd.selectors.length,
    designFile: written ?? null,
    wallSeconds: Math.round((performance.now() - t0) / 100) / 10,
  };
  if (!pd.fits || doc.deadlock) process.exitCode = 1;
  if (opts.json) return printJson(doc);
  const lines = [
    `${model.name} on ${device.name} at ${clockMhz} MHz, token merging ${doc.mergeTokens.join(',')} (${doc.mergeUnits} merge units)${pd.fits ? '' : ' — DOES NOT FIT'}`,
    `  steady interval   ${interval.toLocaleString('en-US')} cycles (${sim ? (sim.completed ? `simulated, 4 images; analytic ${pd.interval.toLocaleString('en-US')}` : 'DEADLOCK in simulation') : 'analytic, not simulated'}; bottleneck ${pd.bottleneck.block} ${pd.bottleneck.process})`,
    `  throughput        ${Math.round(doc.imagesPerSecond).toLocaleString('en-US')} images/s`,
    '',
    resourceTable(doc.resources, device.capacity, doc.utilisation),
    ...(written ? [`design written to ${written}`] : []),
    `(${doc.wallSeconds} s)`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
