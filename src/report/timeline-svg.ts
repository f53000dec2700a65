import type { ChainResult } from '../sim/index.ts';
import { esc } from './svg.ts';

/**
 * Hand-written SVG timeline: one lane per block, time on x; in each time bin a stacked column shows the share of
 * the block's processes that were busy (green), stalled on an empty input (amber) or on a full output (red).
 * Image output windows are drawn as ticks under the lanes.
 */
export function renderTimelineSvg(r: ChainResult, clockMhz: number): string {
  const tl = r.timeline;
  if (!tl) return '<svg xmlns="http://www.w3.org/2000/svg"/>\n';
  const laneH = 18;
  const gap = 4;
  const left = 110;
  const width = 1000;
  const top = 40;
  const bw = width / tl.bins;
  const lanes = tl.blocks.length;
  const height = top + lanes * (laneH + gap) + 70;
  const totalCycles = tl.bins * tl.binCycles;
  const x = (cycle: number) => left + (cycle / totalCycles) * width;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${left + width + 60}" height="${height}" font-family="sans-serif" font-size="11">`);
  parts.push(`<text x="${left}" y="16" font-size="13">busy / stalled-on-input / stalled-on-output share of each block's processes (${r.images} images, ${r.simulatedCycles.toLocaleString('en-US')} cycles)</text>`);
  tl.blocks.forEach((b, k) => {
    const y0 = top + k * (laneH + gap);
    parts.push(`<text x="${left - 6}" y="${y0 + laneH - 5}" text-anchor="end">${esc(b.name)}</text>`);
    parts.push(`<rect x="${left}" y="${y0}" width="${width}" height="${laneH}" fill="#f2f2f2"/>`);
    for (let i = 0; i < tl.bins; i++) {
      let y = y0 + laneH;
      for (const [v, color] of [[b.busy[i], '#2e9d4a'], [b.stalledIn[i], '#e8a33d'], [b.stalledOut[i], '#d0453a']] as const) {
        const h = Math.min(1, v) * laneH;
        if (h < 0.05) continue;
        y -= h;
        parts.push(`<rect x="${(left + i * bw).toFixed(2)}" y="${y.toFixed(2)}" width="${(bw + 0.05).toFixed(2)}" height="${h.toFixed(2)}" fill="${color}"/>`);
      }
    }
  });
  const axisY = top + lanes * (laneH + gap) + 6;
  for (const p of r.perImage) {
    parts.push(`<line x1="${x(p.firstOut).toFixed(1)}" x2="${x(p.lastOut).toFixed(1)}" y1="${axisY}" y2="${axisY}" stroke="#333" stroke-width="4"/>`);
    parts.push(`<text x="${x(p.lastOut).toFixed(1)}" y="${axisY + 14}" text-anchor="end" font-size="9">img ${p.image}</text>`);
  }
  const ticks = 10;
  for (let t = 0; t <= ticks; t++) {
    const c = (totalCycles * t) / ticks;
    parts.push(`<text x="${x(c).toFixed(1)}" y="${axisY + 32}" text-anchor="middle" font-size="9">${Math.round(c / 1000)}k (${((c / clockMhz) / 1000).toFixed(2)} ms)</text>`);
  }
  const ly = axisY + 48;
  [['busy', '#2e9d4a'], ['stalled on input', '#e8a33d'], ['stalled on output', '#d0453a']].forEach(([label, color], i) => {
    parts.push(`<rect x="${left + i * 160}" y="${ly}" width="12" height="12" fill="${color}"/><text x="${left + i * 160 + 16}" y="${ly + 10}">${label}</text>`);
  });
  parts.push(`<text x="${left + 500}" y="${ly + 10}">bars under the lanes: each image's output window</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
