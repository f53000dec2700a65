/**
 * The whole-network timeline: one lane per block, each time bin a stacked column of the share of the block's
 * processes busy, stalled on an empty input or on a full output. Zoom with the wheel, the +/− buttons or the +/−
 * keys; pan by dragging or with the arrow keys; hover names the block, its busiest process and the cycle.
 */
import { fmt, h } from './dom.ts';
import { PALETTE, s, svgRoot } from './svg.ts';

export interface TimelineData {
  binCycles: number;
  bins: number;
  blocks: Array<{ name: string; busy: number[]; stalledIn: number[]; stalledOut: number[] }>;
}
export interface ProcessStatsView {
  name: string;
  block: string;
  busy: number;
  stalledIn: number;
  stalledOut: number;
}

export function timelineChart(tl: TimelineData, processes: ProcessStatsView[], perImage: Array<{ image: number; firstOut: number; lastOut: number }>, clockMhz: number): { svg: SVGSVGElement; controls: HTMLElement; tooltip: HTMLElement } {
  const left = 96;
  const plotW = 880;
  const laneH = 14;
  const gap = 3;
  const top = 34;
  const height = top + tl.blocks.length * (laneH + gap) + 56;
  const width = left + plotW + 20;
  const total = tl.bins * tl.binCycles;
  let c0 = 0;
  let c1 = total;
  const svg = svgRoot(width, height, 'Timeline: busy / stalled-in / stalled-out share of each block\'s processes');
  svg.setAttribute('tabindex', '0');
  svg.setAttribute('class', 'timeline');
  const plot = s('g');
  svg.append(plot);
  const tooltip = h('div', { class: 'tooltip', role: 'status', 'aria-live': 'polite' }, 'hover a lane for block, process and cycle');
  const busiest = new Map<string, string>();
  for (const p of processes) {
    const cur = processes.find((q) => q.name === busiest.get(p.block));
    if (!cur || p.busy > cur.busy) busiest.set(p.block, p.name);
  }

  const draw = () => {
    const X = (c: number) => left + ((c - c0) / (c1 - c0)) * plotW;
    const parts: SVGElement[] = [];
    const b0 = Math.max(0, Math.floor(c0 / tl.binCycles));
    const b1 = Math.min(tl.bins, Math.ceil(c1 / tl.binCycles));
    tl.blocks.forEach((b, k) => {
      const y0 = top + k * (laneH + gap);
      parts.push(s('text', { x: left - 6, y: y0 + laneH - 3, 'text-anchor': 'end', 'font-size': 10 }, b.name), s('rect', { x: left, y: y0, width: plotW, height: laneH, fill: '#f2f2f2' }));
      for (let i = b0; i < b1; i++) {
        const x = Math.max(left, X(i * tl.binCycles));
        const w = Math.min(left + plotW, X((i + 1) * tl.binCycles)) - x;
        if (w <= 0) continue;
        let y = y0 + laneH;
        for (const [v, color] of [[b.busy[i], PALETTE.busy], [b.stalledIn[i], PALETTE.stallIn], [b.stalledOut[i], PALETTE.stallOut]] as const) {
          const hgt = Math.min(1, v) * laneH;
          if (hgt < 0.05) continue;
          y -= hgt;
          parts.push(s('rect', { x: x.toFixed(2), y: y.toFixed(2), width: (w + 0.05).toFixed(2), height: hgt.toFixed(2), fill: color }));
        }
      }
    });
    const axisY = top + tl.blocks.length * (laneH + gap) + 4;
    for (const p of perImage) {
      if (p.lastOut < c0 || p.firstOut > c1) continue;
      const xa = Math.max(left, X(p.firstOut));
      const xb = Math.min(left + plotW, X(p.lastOut));
      parts.push(s('line', { x1: xa, x2: xb, y1: axisY, y2: axisY, stroke: PALETTE.ink, 'stroke-width': 4 }), s('text', { x: xb, y: axisY + 12, 'text-anchor': 'end', 'font-size': 9 }, `img ${p.image} out`));
    }
    for (let t = 0; t <= 8; t++) {
      const c = c0 + ((c1 - c0) * t) / 8;
      parts.push(s('text', { x: X(c), y: axisY + 28, 'text-anchor': 'middle', 'font-size': 9 }, `${fmt(Math.round(c))} (${(c / clockMhz / 1000).toFixed(3)} ms)`));
    }
    const ly = axisY + 44;
    [['busy', PALETTE.busy], ['stalled on input (empty FIFO)', PALETTE.stallIn], ['stalled on output (full FIFO)', PALETTE.stallOut]].forEach(([label, color], i) => {
      parts.push(s('rect', { x: left + i * 220, y: ly - 9, width: 10, height: 10, fill: color }), s('text', { x: left + i * 220 + 14, y: ly }, label));
    });
    plot.replaceChildren(...parts);
  };

  const zoom = (factor: number, at = (c0 + c1) / 2) => {
    const span = Math.min(total, Math.max(tl.binCycles * 4, (c1 - c0) * factor));
    c0 = Math.max(0, Math.min(total - span, at - (at - c0) * (span / (c1 - c0))));
    c1 = c0 + span;
    draw();
  };
  const pan = (frac: number) => {
    const span = c1 - c0;
    c0 = Math.max(0, Math.min(total - span, c0 + span * frac));
    c1 = c0 + span;
    draw();
  };
  const cycleAt = (clientX: number) => {
    const r = svg.getBoundingClientRect();
    const x = ((clientX - r.left) / r.width) * width;
    return c0 + ((x - left) / plotW) * (c1 - c0);
  };
  svg.addEventListener('wheel', (e) => {
    e.preventDefault();
    zoom(e.deltaY > 0 ? 1.25 : 0.8, cycleAt(e.clientX));
  }, { passive: false });
  let dragX: number | null = null;
  svg.addEventListener('pointerdown', (e) => {
    dragX = e.clientX;
    svg.setPointerCapture(e.pointerId);
  });
  svg.addEventListener('pointerup', () => (dragX = null));
  svg.addEventListener('pointermove', (e) => {
    const r = svg.getBoundingClientRect();
    if (dragX !== null) {
      pan(-((e.clientX - dragX) / r.width) * (width / plotW));
      dragX = e.clientX;
      return;
    }
    const y = ((e.clientY - r.top) / r.height) * height;
    const lane = Math.floor((y - top) / (laneH + gap));
    const c = cycleAt(e.clientX);
    const b = tl.blocks[lane];
    if (!b || c < 0 || c > total) return;
    const i = Math.min(tl.bins - 1, Math.floor(c / tl.binCycles));
    const pct = (v: number) => `${Math.round(Math.min(1, v) * 100)} %`;
    tooltip.textContent = `${b.name} · cycle ${fmt(Math.round(c))} · busy ${pct(b.busy[i])}, stalled-in ${pct(b.stalledIn[i])}, stalled-out ${pct(b.stalledOut[i])} · busiest process ${busiest.get(b.name) ?? '—'}`;
  });
  svg.addEventListener('keydown', (e) => {
    const act: Record<string, () => void> = { '+': () => zoom(0.8), '=': () => zoom(0.8), '-': () => zoom(1.25), ArrowLeft: () => pan(-0.1), ArrowRight: () => pan(0.1), '0': () => ((c0 = 0), (c1 = total), draw()) };
    if (act[e.key]) {
      e.preventDefault();
      act[e.key]();
    }
  });
  const btn = (label: string, aria: string, f: () => void) => {
    const b = h('button', { type: 'button', class: 'small', 'aria-label': aria }, label);
    b.onclick = f;
    return b;
  };
  const controls = h('span', {}, btn('+', 'zoom in', () => zoom(0.8)), btn('−', 'zoom out', () => zoom(1.25)), btn('◀', 'pan left', () => pan(-0.2)), btn('▶', 'pan right', () => pan(0.2)), btn('all', 'show the whole run', () => ((c0 = 0), (c1 = total), draw())));
  draw();
  return { svg, controls, tooltip };
}
