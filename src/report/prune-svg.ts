/**
 * Top-1 accuracy (with 95 % intervals) against images/s for pruning settings, as a stand-alone SVG document
 * (hand-written linear scales; deterministic output). The shaded corner is the target: at least 1.5× the
 * unpruned throughput for at most 2 points of top-1.
 */
import type { SweepTable } from '../prune/table.ts';
import { chartStart, esc } from './svg.ts';

const f = (v: number) => v.toFixed(1);

/** Round numbers for axis ticks between lo and hi (about n of them). */
function ticks(lo: number, hi: number, n: number): number[] {
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Math.round(v * 1e6) / 1e6);
  return out;
}

export interface SweepSvgOptions {
  width?: number;
  height?: number;
  title?: string;
  /** Marker colour of a row that is neither the baseline nor meeting the target (default: by setting name). */
  colourOf?: (setting: string) => string;
  /** Legend lines (text, colour) under the title. */
  legend?: Array<[string, string]>;
}

export function pruneSweepSvg(t: SweepTable, opts: SweepSvgOptions = {}): string {
  const W = opts.width ?? 760;
  const H = opts.height ?? 480;
  const m = { l: 64, r: 24, t: 44, b: 52 };
  const base = t.rows[0];
  const xs = t.rows.map((r) => r.imagesPerSecond);
  const xMax = Math.max(...xs, 1.5 * base.imagesPerSecond) * 1.08;
  const yLo = Math.max(0, Math.min(...t.rows.map((r) => r.top1.ci95[0])) - 3);
  const yHi = Math.min(100, Math.max(...t.rows.map((r) => r.top1.ci95[1])) + 3);
  const x = (v: number) => m.l + (v / xMax) * (W - m.l - m.r);
  const y = (v: number) => H - m.b - ((v - yLo) / (yHi - yLo)) * (H - m.t - m.b);
  const out: string[] = [];
  const title = opts.title ?? `Pruning without fine-tuning: top-1 vs throughput (${t.device}, ${t.clockMhz} MHz, ${t.images} photos)`;
  out.push(...chartStart(W, H, title, 22));
  // target region: x ≥ 1.5 × base, y ≥ base − 2
  const tx = x(1.5 * base.imagesPerSecond);
  const ty = y(Math.min(yHi, Math.max(yLo, base.top1.percent - 2)));
  (opts.legend ?? []).forEach(([text, colour], i) => out.push(`<text x="${m.l + 8}" y="${m.t + 16 + 14 * i}" fill="${colour}">${esc(text)}</text>`));
  out.push(`<rect x="${f(tx)}" y="${m.t}" width="${f(W - m.r - tx)}" height="${f(Math.max(0, ty - m.t))}" fill="#e6f4e6"/>`);
  out.push(`<text x="${f(W - m.r - 4)}" y="${f(Math.max(m.t + 14, ty - 6))}" text-anchor="end" fill="#2a7a2a">target: ≥ 1.5× images/s, ≤ 2 points top-1</text>`);
  for (const v of ticks(0, xMax, 6)) {
    out.push(`<line x1="${f(x(v))}" x2="${f(x(v))}" y1="${m.t}" y2="${H - m.b}" stroke="#eee"/>`);
    out.push(`<text x="${f(x(v))}" y="${H - m.b + 16}" text-anchor="middle">${Math.round(v).toLocaleString('en-US')}</text>`);
  }
  for (const v of ticks(yLo, yHi, 6)) {
    out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="#eee"/>`);
    out.push(`<text x="${m.l - 6}" y="${f(y(v) + 4)}" text-anchor="end">${v}</text>`);
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#999"/>`);
  out.push(`<text x="${(W + m.l) / 2}" y="${H - 14}" text-anchor="middle">images / s (planned design; simulated, or analytic where marked ◇)</text>`);
  out.push(`<text transform="translate(16 ${(H + m.t - m.b) / 2}) rotate(-90)" text-anchor="middle">ImageNet top-1 % (95 % Wilson interval)</text>`);
  const placed: Array<{ x0: number; x1: number; y: number }> = [{ x0: W - m.r - 250, x1: W - m.r, y: Math.max(m.t + 14, ty - 6) }];
  const place = (cx: number, cy: number, text: string, right: boolean): number => {
    const w = 6.2 * text.length;
    const [x0, x1] = right ? [cx + 8, cx + 8 + w] : [cx - 8 - w, cx - 8];
    for (const dy of [0, 12, -12, 24, -24, 36, -36, 48, -48, 60, -60]) {
      const yy = cy + 4 + dy;
      if (!placed.some((p) => p.x0 < x1 && x0 < p.x1 && Math.abs(p.y - yy) < 11)) {
        placed.push({ x0, x1, y: yy });
        return yy;
      }
    }
    return cy + 4;
  };
  // markers are obstacles for the labels too
  for (const r of t.rows) placed.push({ x0: x(r.imagesPerSecond) - 5, x1: x(r.imagesPerSecond) + 5, y: y(r.top1.percent) + 4 });
  t.rows.forEach((r, i) => {
    const cx = x(r.imagesPerSecond);
    const cy = y(r.top1.percent);
    const colour = r.setting === base.setting ? '#222' : r.meetsTarget ? '#2a7a2a' : opts.colourOf ? opts.colourOf(r.setting) : /density/.test(r.setting) ? '#b5542a' : '#2a5ab5';
    out.push(`<line x1="${f(cx)}" x2="${f(cx)}" y1="${f(y(r.top1.ci95[0]))}" y2="${f(y(r.top1.ci95[1]))}" stroke="${colour}"/>`);
    out.push(
      r.throughputSource === 'simulated'
        ? `<circle cx="${f(cx)}" cy="${f(cy)}" r="4" fill="${colour}"/>`
        : `<path d="M${f(cx)},${f(cy - 5)} L${f(cx + 5)},${f(cy)} L${f(cx)},${f(cy + 5)} L${f(cx - 5)},${f(cy)} Z" fill="white" stroke="${colour}" stroke-width="1.5"/>`,
    );
    // labels alternate sides to limit overlaps
    const right = i % 2 === 0 && cx + 8 + 6.2 * r.setting.length < W - m.r;
    const ly = place(cx, cy, r.setting, right);
    out.push(`<text x="${f(cx + (right ? 8 : -8))}" y="${f(ly)}" text-anchor="${right ? 'start' : 'end'}" fill="${colour}">${esc(r.setting)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
