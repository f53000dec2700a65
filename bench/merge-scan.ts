/**
 * Which token-merging schedules reach a throughput target on a device, by the pruned planner's analytic interval
 * (no photos): r constant in every layer, and front-loaded schedules (r0 in layers 0..k−1, then r1). Prints each
 * schedule's interval, speed-up over the unmerged design, tokens per layer and the bottleneck.
 * Usage: npm run bench:merge-scan -- [--device vck190] [--target 1.5]
 */
import { loadDevice } from '../src/cost/index.ts';
import { MODEL_ZOO } from '../src/model/index.ts';
import { mergeTokensText } from '../src/merge/index.ts';
import { pipelinePoint, planPruned, settingSchedule } from '../src/prune/index.ts';
import { argValue, peakMemoryMiB } from './common.ts';

const model = MODEL_ZOO['hgpipe-deit-tiny'];
const device = loadDevice(argValue('--device') ?? 'vck190');
const target = Number(argValue('--target') ?? 1.5);
const D = model.depth;

const schedules: number[][] = [];
for (const r of [4, 6, 8, 10, 12, 14, 16, 20]) schedules.push(Array(D).fill(r));
for (const [r0, k, r1] of [[16, 4, 8], [24, 2, 8], [32, 1, 8], [20, 3, 6], [16, 3, 4], [24, 2, 4], [48, 1, 4], [32, 2, 0], [16, 6, 0], [24, 4, 0]])
  schedules.push(Array.from({ length: D }, (_, n) => (n < k ? r0 : r1)));

const t0 = performance.now();
const base = pipelinePoint({ model, device, setting: { name: 'none' }, simulate: false }).analyticInterval;
console.log(`${device.name}: unmerged ${base} cycles; target ${target}× = ${Math.floor(base / target)} cycles`);
for (const r of schedules) {
  const setting = { name: mergeTokensText(r), mergeTokens: r };
  const p = planPruned({ model, device, setting });
  const x = base / p.interval;
  console.log(`${mergeTokensText(r).padEnd(28)} ${String(p.interval).padStart(6)} cycles ${x.toFixed(3)}× ${p.fits ? 'fits' : 'DOES NOT FIT'} ${x >= target ? 'REACHES' : '       '} mlp tokens ${settingSchedule(model.tokens, D, setting).mlp.join(',')}  ${p.bottleneck.block} ${p.bottleneck.process}`);
}
console.log(`${((performance.now() - t0) / 1000).toFixed(0)} s; peak memory ${peakMemoryMiB().toFixed(0)} MiB`);
