/** Plan view: model × device (catalogue or typed-in capacities) × optional target → the planner's design, in the page. */
import { DEVICES, parseDevice, type Device } from '../../src/cost/index.ts';
import { DEFAULT_MODEL, MODEL_ZOO, type ViTConfig } from '../../src/model/index.ts';
import { blockDiagram, paretoChart, resourceBars, type BlockFigure } from './charts.ts';
import { TaskError, type WorkerClient } from './client.ts';
import { figure, formWork, h, Status } from './dom.ts';
import { chartPanel, download } from './export.ts';

/** What the worker returns for a plan (PlanResult's fields the page shows, and the design as design.json text). */
export interface PlanView {
  model: string;
  device: { name: string; capacity: Device['capacity'] };
  clockMhz: number;
  steadyInterval: number;
  analyticInterval: number;
  imagesPerSecond: number;
  firstImageLatency: number | null;
  resources: Device['capacity'];
  fits: boolean;
  imagesPerSecondPerKLut: number;
  bottleneck: { block: string; process: string };
  shortfall: { message: string } | null;
  pareto: Array<{ interval: number; imagesPerSecond: number; lut: number; fits: boolean }>;
  candidatesEvaluated: number;
  designJson: string | null;
  blockFigures: BlockFigure[];
  verification: unknown;
}

const round1 = (v: number) => Math.round(v * 10) / 10;
// The same rounding as `vitpipe plan --json` (cli/commands/plan.ts), so the page shows the CLI's numbers.
const roundRes = (r: Device['capacity']) => ({ lut: Math.round(r.lut), ff: Math.round(r.ff), dsp: Math.round(r.dsp), bram: Math.ceil(r.bram * 2) / 2, uram: Math.ceil(r.uram) });

export function planView(worker: WorkerClient, extraModels: ViTConfig[], canGenerate: boolean, onDesign: (p: PlanView) => void): HTMLElement {
  const models = [...Object.values(MODEL_ZOO), ...extraModels];
  const modelSel = h('select', { id: 'plan-model' }, ...models.map((m) => h('option', { value: m.name, selected: m.name === DEFAULT_MODEL }, m.name)));
  const deviceSel = h('select', { id: 'plan-device' }, ...Object.keys(DEVICES).map((d) => h('option', { value: d, selected: d === 'vck190' }, d)), h('option', { value: 'custom' }, 'custom capacities…'));
  const capInputs = Object.fromEntries((['lut', 'ff', 'dsp', 'bram', 'uram', 'clockMhz'] as const).map((k) => [k, h('input', { id: `cap-${k}`, type: 'text', inputmode: 'decimal', value: String(k === 'clockMhz' ? DEVICES.vck190.clockMhz : DEVICES.vck190.capacity[k]), size: 9 })]));
  const custom = h('fieldset', { class: 'custom', hidden: true }, h('legend', {}, 'custom device'), ...Object.entries(capInputs).map(([k, el]) => h('label', {}, k === 'clockMhz' ? 'clock MHz' : k.toUpperCase(), el)));
  const target = h('input', { id: 'plan-target', type: 'text', inputmode: 'numeric', placeholder: 'fastest that fits', size: 12 });
  const run = h('button', { id: 'plan-run', type: 'submit', class: 'primary' }, 'Plan');
  const cancel = h('button', { type: 'button', hidden: true }, 'Cancel');
  const status = new Status('plan-status');
  const out = h('div', { class: 'results', id: 'plan-results' });
  deviceSel.onchange = () => (custom.hidden = deviceSel.value !== 'custom');
  cancel.onclick = () => worker.cancel('planning cancelled');

  const form = h('form', { class: 'controls' },
    h('label', {}, 'model ', modelSel),
    h('label', {}, 'device ', deviceSel),
    h('label', {}, 'target images/s ', target),
    run, cancel, custom);

  const deviceOf = (): Device => {
    if (deviceSel.value !== 'custom') return DEVICES[deviceSel.value];
    const num = (k: string) => {
      const t = capInputs[k].value.trim();
      const v = Number(t);
      if (t === '' || !Number.isFinite(v)) throw new Error(`custom ${k}: '${t}' is not a number`);
      return v;
    };
    // The CLI's device schema judges the capacities (positive integers, BRAM in halves, a clock up to 1 GHz).
    return parseDevice({ name: 'custom', capacity: { lut: num('lut'), ff: num('ff'), dsp: num('dsp'), bram: num('bram'), uram: num('uram') }, clockMhz: num('clockMhz') }, 'custom device');
  };

  const plan = formWork<number>(form, { run, cancel, status }, 'planning…', async (targetFps) => {
    const device = deviceOf();
    const t = target.value.trim();
    const fps = targetFps ?? (t === '' ? undefined : Number(t));
    if (fps !== undefined && !(Number.isInteger(fps) && fps > 0)) throw new Error(`target images/s: '${t}' is not a positive whole number`);
    const model = models.find((m) => m.name === modelSel.value)!;
    const { result, seconds } = await worker.run<PlanView>({ kind: 'plan', model, device, targetFps: fps }, (d, n, what) => status.progress(`planning: ${what || `${d}/${n}`}`));
    show(result, fps);
    status.done(`planned in ${seconds.toFixed(2)} s (${result.candidatesEvaluated} balanced designs evaluated)`);
    document.body.dataset.planSeconds = seconds.toFixed(3);
  });

  const show = (r: PlanView, fps?: number) => {
    const res = roundRes(r.resources);
    const stem = `${r.model}-${r.device.name}`;
    const summary = h('div', { class: 'figures' },
      figure('fits', 'fits', r.fits ? 'yes' : 'no'),
      figure('steadyInterval', 'steady interval', r.steadyInterval, undefined, 'cycles'),
      figure('imagesPerSecond', 'throughput', round1(r.imagesPerSecond), undefined, `images/s at ${r.clockMhz} MHz`),
      r.firstImageLatency ? figure('firstImageLatency', 'first image', r.firstImageLatency, undefined, 'cycles') : null,
      ...(['lut', 'ff', 'dsp', 'bram', 'uram'] as const).map((k) => figure(k, k === 'bram' ? 'BRAM36' : k.toUpperCase(), res[k])),
      figure('bottleneck', 'bottleneck', `${r.bottleneck.block} ${r.bottleneck.process}`),
    );
    const items: Node[] = [summary];
    if (!r.fits) items.push(h('p', { class: 'warning', role: 'alert' }, `Does not fit: ${r.shortfall?.message ?? 'over the device'}. Shown: the closest design found.`));
    const dl = h('button', { type: 'button', id: 'plan-download' }, 'Download design.json');
    dl.disabled = !r.designJson;
    dl.onclick = () => r.designJson && download(`${stem}.json`, r.designJson, 'application/json');
    const zip = h('button', { type: 'button', id: 'plan-hls' }, 'Download HLS project (zip)');
    zip.disabled = !r.designJson || !canGenerate;
    if (!canGenerate) zip.title = 'start the explorer with --weights <refs folder> to generate the HLS project';
    zip.onclick = async () => {
      zip.disabled = true;
      status.begin('generating the HLS C++ project (vitpipe generate, on the server)…');
      try {
        const res = await fetch('api/hls', { method: 'POST', body: r.designJson!, headers: { 'content-type': 'application/json' } });
        if (!res.ok) throw new TaskError((await res.json()).error);
        download(`${stem}-hls.zip`, await res.blob());
        status.done('HLS project downloaded');
      } catch (e) {
        status.fail(e);
      } finally {
        zip.disabled = false;
      }
    };
    const sim = h('button', { type: 'button', id: 'plan-simulate' }, 'Simulate this design →');
    sim.disabled = !r.designJson;
    sim.onclick = () => onDesign(r);
    items.push(h('div', { class: 'actions' }, dl, zip, sim));
    if (r.blockFigures.length) {
      const slowest = Math.max(...r.blockFigures.map((b) => b.interval));
      const bottleneck = new Set(r.blockFigures.filter((b) => b.interval === slowest).map((b) => b.name));
      items.push(chartPanel('Pipeline: cycles per image of each block', `${stem}-blocks`, blockDiagram(r.blockFigures, `${r.model} on ${r.device.name}: blocks (analytic interval)`, { bottleneck })));
    }
    items.push(chartPanel('Resources against the device', `${stem}-resources`, resourceBars(res, r.device.capacity, `${r.model} on ${r.device.name}: resources`)));
    if (r.pareto.length)
      items.push(chartPanel('Pareto front (click a point to load that design)', `${stem}-pareto`, paretoChart(r.pareto, { lut: r.resources.lut, imagesPerSecond: r.imagesPerSecond }, r.device.capacity.lut, `${r.model} on ${r.device.name}: images/s against LUTs`, (p) => {
        target.value = String(Math.floor(p.imagesPerSecond));
        void plan(Math.floor(p.imagesPerSecond));
      })));
    out.replaceChildren(...items);
    out.dataset.target = String(fps ?? '');
  };

  return h('section', { id: 'view-plan', class: 'view', 'aria-labelledby': 'tab-plan' },
    h('p', { class: 'lead' }, 'The planner chooses each stage\'s parallelism, buffers and FIFO depths so the design fits the device, then verifies it by simulation — the same code as ', h('code', {}, 'vitpipe plan'), ', running in this page.'),
    form, status.el, out);
}

