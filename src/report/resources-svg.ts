import { scaleLinear } from 'd3-scale';
import { chartStart, esc } from './svg.ts';
import { RESOURCE_KEYS, RESOURCE_LABELS, add, type ResourceKey, type Resources } from '../cost/index.ts';

export interface ResourceSvgOptions {
  title: string;
  /** Share of every resource a design may use (drawn as a dashed line; the planner's default is 0.9). */
  maxUtilization?: number;
  width?: number;
}

// Colour-blind-safe qualitative palette (Okabe–Ito, then greys); parts are drawn in the order given.
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000', '#999999', '#CCCCCC', '#666666', '#B3DE69'];

/**
 * Where a design's resources go: one bar per resource, as a share of the device, stacked by part (process kind,
 * block, …) in the order given; parts beyond the palette's colours are drawn together as "other". A stand-alone SVG
 * document (a pure string; deterministic output).
 */
export function resourceBreakdownSvg(all: Array<{ name: string; detail?: string; resources: Resources }>, capacity: Resources, opts: ResourceSvgOptions): string {
  const rest = all.slice(PALETTE.length - 1);
  const parts = rest.length > 1 ? [...all.slice(0, PALETTE.length - 1), { name: `other (${rest.length} kinds)`, detail: rest.map((p) => p.name).join(', '), resources: add(...rest.map((p) => p.resources)) }] : all;
  const W = opts.width ?? 760;
  const rowH = 34;
  const legendRows = Math.ceil(parts.length / 4);
  const m = { l: 70, r: 90, t: 44, b: 40 + 18 * legendRows };
  const H = m.t + rowH * RESOURCE_KEYS.length + m.b;
  const total = (k: ResourceKey) => parts.reduce((a, p) => a + p.resources[k], 0);
  const share = (v: number, k: ResourceKey) => (capacity[k] > 0 ? (100 * v) / capacity[k] : v > 0 ? Infinity : 0);
  const finite = RESOURCE_KEYS.map((k) => share(total(k), k)).filter(Number.isFinite);
  const x = scaleLinear().domain([0, Math.max(100, ...finite) * 1.02]).range([m.l, W - m.r]).nice();
  const f = (v: number) => v.toFixed(1);
  const out: string[] = [];
  out.push(...chartStart(W, H, opts.title));
  const bottom = m.t + rowH * RESOURCE_KEYS.length;
  for (const t of x.ticks(6)) {
    out.push(`<line x1="${f(x(t))}" x2="${f(x(t))}" y1="${m.t}" y2="${bottom}" stroke="#eee"/>`);
    out.push(`<text x="${f(x(t))}" y="${bottom + 14}" text-anchor="middle">${t}%</text>`);
  }
  out.push(`<text x="${(m.l + W - m.r) / 2}" y="${bottom + 30}" text-anchor="middle">share of the device</text>`);
  RESOURCE_KEYS.forEach((k, row) => {
    const y = m.t + row * rowH + 6;
    const h = rowH - 12;
    out.push(`<text x="${m.l - 8}" y="${f(y + h / 2 + 4)}" text-anchor="end">${RESOURCE_LABELS[k]}</text>`);
    if (capacity[k] === 0) {
      out.push(`<text x="${m.l + 4}" y="${f(y + h / 2 + 4)}" fill="#c33">${total(k) > 0 ? `${Math.round(total(k))} used, device has none` : 'device has none'}</text>`);
      return;
    }
    let at = 0;
    parts.forEach((p, i) => {
      const v = share(p.resources[k], k);
      if (v <= 0) return;
      const x0 = x(at);
      at += v;
      out.push(`<rect x="${f(x0)}" y="${y}" width="${f(Math.max(0.5, x(at) - x0))}" height="${h}" fill="${PALETTE[i % PALETTE.length]}"><title>${esc(`${p.name}: ${RESOURCE_LABELS[k]} ${Math.round(p.resources[k] * 10) / 10} (${v.toFixed(1)} %)`)}</title></rect>`);
    });
    out.push(`<text x="${f(x(at) + 4)}" y="${f(y + h / 2 + 4)}">${at.toFixed(1)} %</text>`);
  });
  // Labels beside their lines, the budget's to the left and the device's to the right, so that they never overlap.
  const line = (pct: number, colour: string, label: string, anchor: 'start' | 'end') => {
    const cx = x(pct);
    out.push(`<line x1="${f(cx)}" x2="${f(cx)}" y1="${m.t - 4}" y2="${bottom}" stroke="${colour}" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${f(cx + (anchor === 'start' ? 3 : -3))}" y="${m.t - 6}" text-anchor="${anchor}" fill="${colour}">${label}</text>`);
  };
  line(100, '#c33', 'device', 'start');
  if (opts.maxUtilization !== undefined && opts.maxUtilization < 1) line(100 * opts.maxUtilization, '#888', `${Math.round(100 * opts.maxUtilization)} % budget`, 'end');
  const colW = (W - m.l) / 4;
  parts.forEach((p, i) => {
    const lx = m.l + (i % 4) * colW;
    const ly = bottom + 46 + Math.floor(i / 4) * 18;
    out.push(`<rect x="${f(lx)}" y="${ly - 9}" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/>`);
    out.push(`<text x="${f(lx + 14)}" y="${ly}">${esc(p.name)}${p.detail ? `<title>${esc(p.detail)}</title>` : ''}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
