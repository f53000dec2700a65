import { scaleLinear } from 'd3-scale';
import { chartStart, esc } from './svg.ts';

/** One point of a throughput-versus-area front. */
export interface FrontPoint {
  lut: number;
  imagesPerSecond: number;
  fits: boolean;
  label?: string;
}

export interface ParetoSvgOptions {
  title: string;
  /** Device LUT capacity, drawn as a vertical line. */
  lutCapacity?: number;
  /** Highlighted points (the chosen design, a published reference). */
  marks?: Array<FrontPoint & { label: string }>;
  width?: number;
  height?: number;
}


/** Throughput (images/s) against LUTs as a stand-alone SVG document (a pure string; deterministic output). */
export function paretoSvg(points: FrontPoint[], opts: ParetoSvgOptions): string {
  const W = opts.width ?? 720;
  const H = opts.height ?? 440;
  const m = { l: 70, r: 20, t: 40, b: 50 };
  const all = [...points, ...(opts.marks ?? [])];
  const maxLut = Math.max(opts.lutCapacity ?? 0, ...all.map((p) => p.lut)) * 1.05;
  const maxIps = Math.max(...all.map((p) => p.imagesPerSecond)) * 1.1;
  const x = scaleLinear().domain([0, maxLut]).range([m.l, W - m.r]).nice();
  const y = scaleLinear().domain([0, maxIps]).range([H - m.b, m.t]).nice();
  const f = (v: number) => v.toFixed(1);
  const out: string[] = [];
  out.push(...chartStart(W, H, opts.title));
  for (const t of x.ticks(6)) {
    out.push(`<line x1="${f(x(t))}" x2="${f(x(t))}" y1="${m.t}" y2="${H - m.b}" stroke="#eee"/>`);
    out.push(`<text x="${f(x(t))}" y="${H - m.b + 16}" text-anchor="middle">${Math.round(t / 1000)}k</text>`);
  }
  for (const t of y.ticks(6)) {
    out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${f(y(t))}" y2="${f(y(t))}" stroke="#eee"/>`);
    out.push(`<text x="${m.l - 6}" y="${f(y(t) + 4)}" text-anchor="end">${Math.round(t).toLocaleString('en-US')}</text>`);
  }
  out.push(`<text x="${W / 2}" y="${H - 12}" text-anchor="middle">LUTs</text>`);
  out.push(`<text transform="translate(16 ${H / 2}) rotate(-90)" text-anchor="middle">images / s</text>`);
  if (opts.lutCapacity) {
    const cx = f(x(opts.lutCapacity));
    out.push(`<line x1="${cx}" x2="${cx}" y1="${m.t}" y2="${H - m.b}" stroke="#c33" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${cx}" y="${m.t - 4}" text-anchor="end" fill="#c33">device LUTs</text>`);
  }
  const sorted = [...points].sort((a, b) => a.lut - b.lut);
  if (sorted.length > 1) {
    // a staircase: a design is worth its throughput from its LUT count on
    let d = `M${f(x(sorted[0].lut))},${f(y(sorted[0].imagesPerSecond))}`;
    for (let i = 1; i < sorted.length; i++) d += ` H${f(x(sorted[i].lut))} V${f(y(sorted[i].imagesPerSecond))}`;
    out.push(`<path d="${d}" fill="none" stroke="#369" stroke-width="1.5"/>`);
  }
  for (const p of sorted)
    out.push(`<circle cx="${f(x(p.lut))}" cy="${f(y(p.imagesPerSecond))}" r="3.5" fill="${p.fits ? '#369' : 'white'}" stroke="#369"><title>${esc(p.label ?? `${Math.round(p.imagesPerSecond)} images/s, ${Math.round(p.lut)} LUT${p.fits ? '' : ' (does not fit)'}`)}</title></circle>`);
  for (const p of opts.marks ?? []) {
    const cx = f(x(p.lut));
    out.push(`<rect x="${(x(p.lut) - 5).toFixed(1)}" y="${(y(p.imagesPerSecond) - 5).toFixed(1)}" width="10" height="10" fill="none" stroke="#e80" stroke-width="2"/>`);
    out.push(`<text x="${cx}" y="${(y(p.imagesPerSecond) - 9).toFixed(1)}" text-anchor="middle" fill="#a50">${esc(p.label)}</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
