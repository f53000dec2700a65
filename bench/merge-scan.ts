/**
 * Which token-merging schedules reach a throughput target on a device, by the pruned planner's analytic interval
 * (no photos): r constant in every layer, and front-loaded schedules (r0 in layers 0..k−1, then r1), or the given
 * ones. Prints each schedule's interval, speed-up over the unmerged design, the merge units' figures, the bottleneck.
 * Usage: npm run bench:merge-scan -- [--device vck190] [--target 1.5] [--schedules '16,16,8,…;12']
 */
import { loadDevice } from '../src/cost/index.ts';
import { MODEL_ZOO } from '../src/model/index.ts';
import { mergeTokensText, parseMergeTokens } from '../src/merge/index.ts';
import { pipelinePoint } from '../src/prune/index.ts';
import { argValue, peakMemoryMiB } from './common.ts';

const model = MODEL_ZOO['hgpipe-deit-tiny'];
const device = loadDevice(argValue('--device') ?? 'vck190');
const target = Number(argValue('--target') ?? 1.5);
const D = model.depth;

const schedules: number[][] = [];
const front = (r0: number, k: number, r1: number) => Array.from({ length: D }, (_, n) => (n < k ? r0 : r1));
const only = argValue('--schedules');
if (only) for (const t of only.split(';')) schedules.push(parseMergeTokens(t, D));
else {
  for (const r of [8, 10, 12, 14, 16]) schedules.push(Array(D).fill(r));
  for (const [r0, k, r1] of [[16, 2, 8], [16, 3, 8], [16, 4, 8], [16, 5, 8], [16, 6, 8], [20, 2, 8], [20, 3, 8], [14, 4, 8], [12, 6, 8], [12, 8, 8], [32, 1, 8], [24, 2, 8], [16, 4, 10], [14, 6, 10]])
    schedules.push(front(r0, k, r1));
}

const t0 = performance.now();
const base = pipelinePoint({ model, device, setting: { name: 'none' }, simulate: false }).analyticInterval;
console.log(`${device.name}: unmerged ${base} cycles; target ${target}× = ${Math.floor(base / target)} cycles`);
for (const r of schedules) {
  const setting = { name: mergeTokensText(r), mergeTokens: r };
  const p = pipelinePoint({ model, device, setting, simulate: false });
  const x = base / p.analyticInterval;
  const units = p.design.selectors;
  const slowest = units.reduce((a, u) => (u.cycles > a.cycles ? u : a), units[0]);
  console.log(`${mergeTokensText(r).padEnd(28)} ${String(p.analyticInterval).padStart(6)} cycles ${x.toFixed(3)}× ${p.fits ? 'fits' : 'DOES NOT FIT'} ${x >= target ? 'REACHES' : '       '} ` +
    `LUT ${Math.round(p.resources.lut / 1000)}k; merge units: ${units.length}, slowest ${slowest?.cycles ?? 0} cycles, ${Math.round(units.reduce((a, u) => a + u.resources.lut, 0) / 1000)}k LUT; ` +
    `last MLP ${p.tokens.mlp[D - 1]} tokens; bottleneck ${p.bottleneck.block} ${p.bottleneck.process}`);
}
console.log(`${((performance.now() - t0) / 1000).toFixed(0)} s; peak memory ${peakMemoryMiB().toFixed(0)} MiB`);
