/** The plan and simulate views' charts: block diagram with interval bars, resources against the device, Pareto front. */
import type { Resources } from '../../src/cost/index.ts';
import { fmt } from './dom.ts';
import { PALETTE, s, svgRoot, tip } from './svg.ts';

export interface BlockFigure {
  name: string;
  kind: string;
  /** Cycles per image of the block (analytic, or simulated alone). */
  interval: number;
  process: string;
}

export interface WaitHopView {
  process: string;
  fifo: string;
  on: string;
  waitsFor: string;
  occupancy: number;
  depth: number;
}

const blockOf = (process: string) => process.slice(0, process.indexOf('.'));

/**
 * Blocks as boxes in pipeline order (rows of `perRow`), each with its interval as a bar scaled to the slowest block;
 * the bottleneck blocks outlined. With a deadlock's wait-for cycle, its blocks are marked and joined by arrows.
 */
export function blockDiagram(blocks: BlockFigure[], title: string, opts: { bottleneck?: Set<string>; waitCycle?: WaitHopView[]; perRow?: number } = {}): SVGSVGElement {
  // Three blocks a row on a phone-width screen keep the labels readable; seven on a desktop.
  const perRow = opts.perRow ?? (typeof window !== 'undefined' && window.innerWidth < 700 ? 3 : 7);
  const bw = 132;
  const bh = 58;
  const gx = 22;
  const gy = 26;
  const rows = Math.ceil(blocks.length / perRow);
  const width = 20 + perRow * (bw + gx);
  const height = 40 + rows * (bh + gy) + 30;
  const root = svgRoot(width, height, title);
  const max = Math.max(1, ...blocks.map((b) => b.interval));
  const at = new Map<string, { x: number; y: number }>();
  const waiting = new Set((opts.waitCycle ?? []).map((h) => blockOf(h.process)));
  root.append(s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z', fill: PALETTE.warn }))));
  blocks.forEach((b, i) => {
    const r = Math.floor(i / perRow);
    const c = r % 2 === 0 ? i % perRow : perRow - 1 - (i % perRow); // snake order keeps neighbours adjacent
    const x = 10 + c * (bw + gx);
    const y = 36 + r * (bh + gy);
    at.set(b.name, { x, y });
    const isBottleneck = opts.bottleneck?.has(b.name) ?? false;
    const isWaiting = waiting.has(b.name);
    const g = s('g', { class: 'block', 'data-block': b.name });
    g.append(
      tip(`${b.name} (${b.kind}): ${fmt(b.interval)} cycles per image; slowest process ${b.process}${isBottleneck ? ' — bottleneck' : ''}${isWaiting ? ' — in the deadlock cycle' : ''}`),
      s('rect', { x, y, width: bw, height: bh, rx: 6, fill: isWaiting ? '#fde8dc' : '#f4f7fb', stroke: isWaiting || isBottleneck ? PALETTE.warn : '#8aa', 'stroke-width': isWaiting || isBottleneck ? 3 : 1 }),
      s('text', { x: x + 8, y: y + 16, 'font-weight': 'bold' }, b.name + (isBottleneck ? '  ◆' : '')),
      s('rect', { x: x + 8, y: y + 26, width: bw - 16, height: 10, fill: '#e3e3e3' }),
      s('rect', { x: x + 8, y: y + 26, width: ((bw - 16) * b.interval) / max, height: 10, fill: isBottleneck ? PALETTE.warn : PALETTE.accent }),
      s('text', { x: x + 8, y: y + 50, 'font-size': 10 }, b.interval > 0 ? `${fmt(b.interval)} cyc` : 'deadlocks alone'),
    );
    root.append(g);
    if (i > 0) {
      const p = at.get(blocks[i - 1].name)!;
      const sameRow = p.y === y;
      const [x1, y1, x2, y2] = sameRow ? (p.x < x ? [p.x + bw, y + bh / 2, x, y + bh / 2] : [p.x, y + bh / 2, x + bw, y + bh / 2]) : [p.x + bw / 2, p.y + bh, x + bw / 2, y];
      root.append(s('line', { x1, y1, x2, y2, stroke: '#8aa', 'stroke-width': 1.5 }));
    }
  });
  // The wait-for cycle: one arrow per hop between the blocks of its processes (a hop inside a block loops on it).
  for (const hop of opts.waitCycle ?? []) {
    const a = at.get(blockOf(hop.process));
    const b = at.get(blockOf(hop.waitsFor));
    if (!a || !b) continue;
    const [x1, y1, x2, y2] = [a.x + bw / 2, a.y + bh / 2, b.x + bw / 2, b.y + bh / 2];
    const d = a === b ? `M${x1 - 20},${a.y} C${x1 - 20},${a.y - 24} ${x1 + 20},${a.y - 24} ${x1 + 20},${a.y}` : `M${x1},${y1} Q${(x1 + x2) / 2},${Math.min(y1, y2) - 40} ${x2},${y2}`;
    root.append(s('path', { d, fill: 'none', stroke: PALETTE.warn, 'stroke-width': 2.5, 'marker-end': 'url(#arrow)' }, tip(`${hop.process} waits: ${hop.fifo} is ${hop.on} (${hop.occupancy}/${hop.depth}) → ${hop.waitsFor}`)));
  }
  const legendY = height - 12;
  root.append(s('text', { x: 10, y: legendY, 'font-size': 10 }, opts.waitCycle?.length ? 'boxes with thick vermillion borders and arrows: the deadlock\'s wait-for cycle' : '◆ bottleneck (slowest block); bar: cycles per image relative to the slowest block'));
  return root;
}

const RESOURCE_LABEL: Record<keyof Resources, string> = { lut: 'LUT', ff: 'FF', dsp: 'DSP', bram: 'BRAM36', uram: 'URAM' };

/** Each resource's use as a bar against the device's capacity, with the planner's utilisation limit drawn. */
export function resourceBars(used: Resources, capacity: Resources, title: string, limit = 0.9): SVGSVGElement {
  const keys = Object.keys(RESOURCE_LABEL) as Array<keyof Resources>;
  const left = 70;
  const barW = 420;
  const width = left + barW + 210;
  const height = 40 + keys.length * 28 + 24;
  const root = svgRoot(width, height, title);
  keys.forEach((k, i) => {
    const y = 36 + i * 28;
    const cap = capacity[k];
    const share = cap > 0 ? used[k] / cap : used[k] > 0 ? Infinity : 0;
    const over = share > limit;
    root.append(
      s('text', { x: left - 8, y: y + 14, 'text-anchor': 'end' }, RESOURCE_LABEL[k]),
      s('rect', { x: left, y, width: barW, height: 18, fill: '#eeeeee' }),
      s('rect', { x: left, y, width: Math.min(1, share) * barW, height: 18, fill: over ? PALETTE.warn : PALETTE.accent }, tip(`${RESOURCE_LABEL[k]}: ${fmt(used[k])} of ${fmt(cap)}`)),
      s('text', { x: left + barW + 8, y: y + 14 }, `${fmt(used[k])} / ${fmt(cap)} (${Number.isFinite(share) ? (share * 100).toFixed(1) : '∞'} %)`),
    );
  });
  const lx = left + limit * barW;
  root.append(s('line', { x1: lx, x2: lx, y1: 30, y2: height - 22, stroke: PALETTE.ink, 'stroke-dasharray': '4 3' }), s('text', { x: lx, y: height - 8, 'text-anchor': 'middle', 'font-size': 10 }, `${Math.round(limit * 100)} % limit`));
  return root;
}

export interface FrontPointView {
  imagesPerSecond: number;
  lut: number;
  fits: boolean;
  interval: number;
}

/**
 * Images/s against LUTs for every balanced design on the front; points are buttons (click, or Tab then Enter)
 * that load that design. The chosen design is ringed.
 */
export function paretoChart(points: FrontPointView[], chosen: { lut: number; imagesPerSecond: number }, lutCapacity: number, title: string, onPick: (p: FrontPointView) => void): SVGSVGElement {
  const width = 640;
  const height = 360;
  const m = { l: 70, r: 20, t: 36, b: 46 };
  const root = svgRoot(width, height, title);
  const xs = [...points.map((p) => p.lut), chosen.lut, lutCapacity];
  const ys = [...points.map((p) => p.imagesPerSecond), chosen.imagesPerSecond];
  const xMax = Math.max(...xs) * 1.05;
  const yMax = Math.max(...ys) * 1.1;
  const X = (v: number) => m.l + (v / xMax) * (width - m.l - m.r);
  const Y = (v: number) => height - m.b - (v / yMax) * (height - m.t - m.b);
  for (let t = 0; t <= 5; t++) {
    const xv = (xMax * t) / 5;
    const yv = (yMax * t) / 5;
    root.append(
      s('line', { x1: X(xv), x2: X(xv), y1: m.t, y2: height - m.b, stroke: '#eee' }),
      s('text', { x: X(xv), y: height - m.b + 14, 'text-anchor': 'middle', 'font-size': 10 }, `${Math.round(xv / 1000)}k`),
      s('line', { x1: m.l, x2: width - m.r, y1: Y(yv), y2: Y(yv), stroke: '#eee' }),
      s('text', { x: m.l - 6, y: Y(yv) + 3, 'text-anchor': 'end', 'font-size': 10 }, fmt(yv)),
    );
  }
  root.append(
    s('text', { x: (m.l + width - m.r) / 2, y: height - 8, 'text-anchor': 'middle' }, 'LUTs (estimated)'),
    s('text', { x: 14, y: (m.t + height - m.b) / 2, transform: `rotate(-90 14 ${(m.t + height - m.b) / 2})`, 'text-anchor': 'middle' }, 'images/s'),
    s('line', { x1: X(lutCapacity), x2: X(lutCapacity), y1: m.t, y2: height - m.b, stroke: PALETTE.warn, 'stroke-dasharray': '5 3' }),
    s('text', { x: X(lutCapacity) - 4, y: m.t + 10, 'text-anchor': 'end', fill: PALETTE.warn, 'font-size': 10 }, 'device LUTs'),
  );
  const sorted = [...points].sort((a, b) => a.lut - b.lut);
  root.append(s('polyline', { points: sorted.map((p) => `${X(p.lut)},${Y(p.imagesPerSecond)}`).join(' '), fill: 'none', stroke: PALETTE.sky, 'stroke-width': 1.5 }));
  for (const p of sorted) {
    const label = `${fmt(p.imagesPerSecond)} images/s, ${fmt(p.lut)} LUTs, interval ${fmt(p.interval)} cycles${p.fits ? '' : ' (does not fit)'}`;
    const dot = s('circle', { cx: X(p.lut), cy: Y(p.imagesPerSecond), r: 6, fill: p.fits ? PALETTE.accent : 'white', stroke: PALETTE.accent, 'stroke-width': 2, tabindex: 0, role: 'button', 'aria-label': `load the design with ${label}`, class: 'pick' }, tip(`${label} — click to load`));
    dot.addEventListener('click', () => onPick(p));
    dot.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        onPick(p);
      }
    });
    root.append(dot);
  }
  root.append(s('circle', { cx: X(chosen.lut), cy: Y(chosen.imagesPerSecond), r: 11, fill: 'none', stroke: PALETTE.warn, 'stroke-width': 2.5 }, tip('the loaded design')));
  return root;
}
