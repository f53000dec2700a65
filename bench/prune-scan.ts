/**
 * Which token-pruning schedules reach a throughput target on a device, by the pruned planner's analytic interval
 * (no photos are used): one or two selection stages at layers 0–5 or three at layers 2–5, keep rates 0.4–0.9, fused
 * or dropped, plus 0.9 at every layer from n on; only schedules that keep 70–98 tokens after layer 5 are planned
 * (the band where hgpipe-deit-tiny on a VCK190 first reaches its floor; fewer tokens only cost accuracy). Prints those
 * at ≥ the target speed-up over the unpruned design, most tokens kept first (tokens summed over the 24 blocks), and
 * the interval floor they share.
 * Usage: npm run bench:prune-scan -- [--device vck190] [--target 1.5] [--top 20]
 */
import { loadDevice } from '../src/cost/index.ts';
import { MODEL_ZOO } from '../src/model/index.ts';
import { pipelinePoint, tokenSchedule, type PruneSetting, type TokenStage } from '../src/prune/index.ts';
import { argValue, peakMemoryMiB } from './common.ts';

const model = MODEL_ZOO['hgpipe-deit-tiny'];
const device = loadDevice(argValue('--device') ?? 'vck190');
const target = Number(argValue('--target') ?? 1.5);
const top = Number(argValue('--top') ?? 20);
const keeps = [0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

function* schedules(): Generator<TokenStage[]> {
  for (let a = 0; a <= 5; a++)
    for (const ka of keeps) {
      yield [{ block: a, keep: ka }];
      for (let b = a + 1; b <= 5; b++)
        for (const kb of keeps) {
          yield [{ block: a, keep: ka }, { block: b, keep: kb }];
          if (a >= 2) for (let c = b + 1; c <= 5; c++) for (const kc of keeps) yield [{ block: a, keep: ka }, { block: b, keep: kb }, { block: c, keep: kc }];
        }
    }
  for (let a = 0; a <= 5; a++) yield Array.from({ length: model.depth - 1 - a }, (_, i) => ({ block: a + i, keep: 0.9 }));
}

const t0 = performance.now();
const base = pipelinePoint({ model, device, setting: { name: 'none' }, simulate: false }).analyticInterval;
const hits: Array<{ name: string; interval: number; tokens: number; bottleneck: string }> = [];
let tried = 0;
for (const stages of schedules())
  for (const fuse of [true, false]) {
    const tokens = tokenSchedule(model.tokens, model.depth, { stages, fuse });
    const kept = [...tokens.attn, ...tokens.mlp].reduce((a, b) => a + b, 0);
    if (tokens.mlp[5] > 98 || tokens.mlp[5] < 70) continue;
    tried++;
    const name = `${stages.map((s) => `${s.block}:${s.keep}`).join(',')}${fuse ? '' : ' drop'}`;
    const setting: PruneSetting = { name, tokens: { stages, fuse } };
    const p = pipelinePoint({ model, device, setting, simulate: false });
    if (p.fits && base / p.analyticInterval >= target) hits.push({ name, interval: p.analyticInterval, tokens: kept, bottleneck: `${p.bottleneck.block} ${p.bottleneck.process}` });
  }
hits.sort((a, b) => b.tokens - a.tokens || a.name.localeCompare(b.name));
console.log(`${device.name}: unpruned ${base} cycles; ${tried} schedules planned, ${hits.length} reach ≥ ${target}× (analytic)`);
for (const h of hits.slice(0, top)) console.log(`${h.name.padEnd(28)} ${String(h.interval).padStart(6)} cycles  ${(base / h.interval).toFixed(3)}×  ${h.tokens} block-tokens  ${h.bottleneck}`);
const floor = Math.min(...hits.map((h) => h.interval));
if (hits.length) console.log(`floor: ${floor} cycles (${(base / floor).toFixed(3)}×), set by ${hits.find((h) => h.interval === floor)!.bottleneck}`);
console.log(`${((performance.now() - t0) / 1000).toFixed(0)} s; peak memory ${peakMemoryMiB().toFixed(0)} MiB`);
