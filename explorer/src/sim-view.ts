/** Simulate view: the whole-network cycle-level simulation of a design, and every block alone, in two Web Workers. */
import { blockDiagram, type BlockFigure, type WaitHopView } from './charts.ts';
import { TaskError, type WorkerClient } from './client.ts';
import { figure, fmt, formWork, h, Status, table } from './dom.ts';
import { chartPanel } from './export.ts';
import { timelineChart, type ProcessStatsView, type TimelineData } from './timeline.ts';

interface ImageTimesView {
  image: number;
  firstInLastIn: number;
  firstOutLastOut: number;
  firstInFirstOut: number;
  lastInLastOut: number;
  firstInLastOut: number;
  firstOut: number;
  lastOut: number;
}
interface NetworkView {
  steadyInterval: number;
  imagesPerSecond: number;
  bottleneck: string[];
  perImage: ImageTimesView[];
  completed: boolean;
  deadlock: { message: string; waitCycle: WaitHopView[]; cycle: number } | null;
  chain: { blocks: string[]; fifos: Array<{ name: string; block: string; stream: string; depth: number; peak: number }>; processes: ProcessStatsView[]; timeline: TimelineData | null; simulatedCycles: number };
}
interface BlockView {
  name: string;
  kind: string;
  steadyInterval: number;
  analyticInterval: number;
  analyticProcess: string;
  firstImageLatency: number;
  sameAs: string | null;
  deadlock: { message: string } | null;
}

export type DesignSource = { builtin: string } | { json: string; file: string };
const FIVE = [
  ['firstInLastIn', 'first in → last in'],
  ['firstOutLastOut', 'first out → last out'],
  ['firstInFirstOut', 'first in → first out'],
  ['lastInLastOut', 'last in → last out'],
  ['firstInLastOut', 'first in → last out'],
] as const;

export function simView(network: WorkerClient, blocks: WorkerClient): { el: HTMLElement; usePlanned: (json: string, name: string) => void } {
  let planned: { json: string; name: string } | null = null;
  const sourceSel = h('select', { id: 'sim-design' }, h('option', { value: 'builtin' }, "HG-PIPE's design (built-in)"), h('option', { value: 'planned', disabled: true }, 'the planned design'), h('option', { value: 'file' }, 'a design.json file…'));
  const fileIn = h('input', { type: 'file', accept: '.json,application/json', id: 'sim-file', hidden: true });
  const images = h('input', { id: 'sim-images', type: 'text', inputmode: 'numeric', value: '10', size: 5 });
  const clock = h('input', { id: 'sim-clock', type: 'text', inputmode: 'decimal', value: '425', size: 5 });
  const run = h('button', { id: 'sim-run', type: 'submit', class: 'primary' }, 'Simulate');
  const cancel = h('button', { type: 'button', hidden: true }, 'Cancel');
  const status = new Status('sim-status');
  const tlStatus = new Status('sim-timeline-status');
  const out = h('div', { class: 'results', id: 'sim-results' });
  sourceSel.onchange = () => (fileIn.hidden = sourceSel.value !== 'file');
  cancel.onclick = () => {
    network.cancel('simulation cancelled');
    blocks.cancel('simulation cancelled');
  };
  const form = h('form', { class: 'controls' }, h('label', {}, 'design ', sourceSel), fileIn, h('label', {}, 'images ', images), h('label', {}, 'clock MHz ', clock), run, cancel);

  // The file is read when the run starts, so the run always uses the file the control shows.
  const sourceOf = async (): Promise<DesignSource> => {
    if (sourceSel.value === 'planned' && planned) return { json: planned.json, file: planned.name };
    if (sourceSel.value === 'file') {
      const f = fileIn.files?.[0];
      if (!f) throw new Error('pick a design.json file first');
      if (f.size > 64 * 1024 * 1024) throw new Error(`${f.name} is ${Math.round(f.size / 1024 / 1024)} MiB; a design.json is far smaller`);
      return { json: await f.text(), file: f.name };
    }
    return { builtin: 'hgpipe-deit-tiny' };
  };

  formWork(form, { run, cancel, status }, 'simulating…', async () => {
    // A timeline still being drawn for the previous run would hold the blocks worker: it gives way.
    if (drawing) blocks.cancel('the timeline gave way to a new simulation');
    tlStatus.done();
    const n = Number(images.value.trim());
    if (!(Number.isInteger(n) && n >= 1 && n <= 1000)) throw new Error(`images: '${images.value}' is not a whole number from 1 to 1,000`);
    const mhz = Number(clock.value.trim());
    if (!(mhz > 0 && mhz <= 2000)) throw new Error(`clock: '${clock.value}' is not a frequency in MHz (0 to 2,000)`);
    const design = await sourceOf();
    const t0 = performance.now();
    // The whole network on one worker, every block alone on the other (as the CLI's two threads).
    const [net, alone] = await Promise.all([
      network.run<NetworkView>({ kind: 'sim-network', design, images: n, clockMhz: mhz }, (c, _t, what) => status.progress(`whole network: ${what}`)),
      blocks.run<BlockView[]>({ kind: 'sim-blocks', design, images: n, clockMhz: mhz }),
    ]);
    const seconds = (performance.now() - t0) / 1000;
    document.body.dataset.simSeconds = seconds.toFixed(3);
    show(net.result, alone.result, mhz, n);
    status.done(`simulated ${fmt(net.result.chain.simulatedCycles)} cycles of the whole network and ${alone.result.length} blocks alone in ${seconds.toFixed(2)} s`);
    if (net.result.completed) void drawTimeline(design, n, mhz);
  });

  const timelineSlot = h('div', { id: 'sim-timeline' });
  let drawing = false;
  const drawTimeline = async (design: DesignSource, n: number, mhz: number) => {
    tlStatus.begin('drawing the timeline (a run without memoisation)…');
    drawing = true;
    try {
      const { result } = await blocks.run<NetworkView>({ kind: 'sim-timeline', design, images: n, clockMhz: mhz });
      if (!result.chain.timeline) throw new Error('the simulator returned no timeline');
      const tl = timelineChart(result.chain.timeline, result.chain.processes, result.perImage, mhz);
      timelineSlot.replaceChildren(chartPanel('Timeline (wheel or +/− to zoom, drag or arrow keys to pan)', 'timeline', tl.svg, [tl.controls]), tl.tooltip);
      tlStatus.done();
    } catch (e) {
      if (e instanceof TaskError && e.info.code === 'CANCELLED') tlStatus.done(`timeline not drawn: ${e.message}`);
      else tlStatus.fail(e);
    } finally {
      drawing = false;
    }
  };

  const show = (net: NetworkView, alone: BlockView[], mhz: number, n: number) => {
    const items: Node[] = [];
    items.push(h('div', { class: 'figures' },
      figure('completed', 'completed', net.completed ? 'yes' : 'no — deadlock'),
      net.completed ? figure('steadyInterval', 'steady interval', net.steadyInterval, undefined, 'cycles') : null,
      net.completed ? figure('imagesPerSecond', 'throughput', Math.round(net.imagesPerSecond), undefined, `images/s at ${mhz} MHz`) : null,
      figure('bottleneck', 'bottleneck', net.bottleneck.slice(0, 3).join(', ') + (net.bottleneck.length > 3 ? ` … (${net.bottleneck.length} processes)` : '')),
    ));
    const figures: BlockFigure[] = alone.map((b) => ({ name: b.name, kind: b.kind, interval: b.steadyInterval, process: b.analyticProcess }));
    const slowest = Math.max(...figures.map((b) => b.interval));
    if (net.deadlock) {
      items.push(h('div', { class: 'warning', role: 'alert', id: 'sim-deadlock' }, h('strong', {}, `Deadlock at cycle ${fmt(net.deadlock.cycle)}. `), h('pre', {}, net.deadlock.message)));
    }
    items.push(chartPanel(net.deadlock ? 'Pipeline with the deadlock\'s wait-for cycle' : 'Pipeline: each block alone, cycles per image', 'sim-blocks', blockDiagram(figures, net.deadlock ? 'wait-for cycle of the deadlock' : 'blocks simulated alone (steady interval)', { bottleneck: net.deadlock ? new Set() : new Set(figures.filter((b) => b.interval === slowest).map((b) => b.name)), waitCycle: net.deadlock?.waitCycle })));
    items.push(h('h3', {}, `Cycles per image (${n} images, whole network)`));
    if (!net.perImage.length) items.push(h('p', { class: 'note' }, 'No image left the pipeline.'));
    else items.push(table(['image', ...FIVE.map(([, l]) => l)], net.perImage.map((p) => [String(p.image), ...FIVE.map(([k]) => h('span', { 'data-k': `image${p.image}.${k}`, 'data-v': String(p[k]) }, fmt(p[k])))]), { id: 'sim-per-image', class: 'numbers' }));
    items.push(h('h3', {}, 'Blocks alone'));
    items.push(table(['block', 'interval', 'analytic', 'first-image latency', 'slowest process'], alone.map((b) => [b.name, fmt(b.steadyInterval), fmt(b.analyticInterval), fmt(b.firstImageLatency), b.analyticProcess + (b.sameAs ? ` (as ${b.sameAs})` : '') + (b.deadlock ? ' — deadlocks alone' : '')]), { class: 'numbers' }));
    const fifos = [...net.chain.fifos].sort((a, b) => b.peak / b.depth - a.peak / a.depth || b.peak - a.peak);
    items.push(h('h3', {}, `FIFO peak occupancy (${fifos.length} FIFOs; the fullest first)`));
    items.push(table(['FIFO', 'block', 'peak / depth', ''], fifos.slice(0, 40).map((f) => [f.name, f.block, `${fmt(f.peak)} / ${fmt(f.depth)}`, h('span', { class: 'bar' }, h('span', { style: `width:${Math.min(100, (100 * f.peak) / Math.max(1, f.depth))}%` }))]), { class: 'numbers', id: 'sim-fifos' }));
    if (fifos.length > 40) items.push(h('p', { class: 'note' }, `… ${fifos.length - 40} more FIFOs (the least full).`));
    items.push(tlStatus.el, timelineSlot);
    timelineSlot.replaceChildren();
    out.replaceChildren(...items);
  };

  const el = h('section', { id: 'view-sim', class: 'view', 'aria-labelledby': 'tab-sim', hidden: true },
    h('p', { class: 'lead' }, 'Cycle-level simulation with FIFO back-pressure, several images in flight and deadlock diagnosis — ', h('code', {}, 'vitpipe simulate'), "'s code, in two Web Workers."),
    form, status.el, out);
  return {
    el,
    usePlanned: (json, name) => {
      planned = { json, name };
      const opt = sourceSel.querySelector<HTMLOptionElement>('option[value="planned"]')!;
      opt.disabled = false;
      opt.textContent = `the planned design (${name})`;
      sourceSel.value = 'planned';
      fileIn.hidden = true;
    },
  };
}
