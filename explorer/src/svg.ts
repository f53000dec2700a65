/** SVG element building, and the colour-blind-safe palette (Okabe & Ito) every chart of the page uses. */
export const PALETTE = {
  busy: '#009E73', // bluish green
  stallIn: '#E69F00', // orange
  stallOut: '#CC79A7', // reddish purple
  accent: '#0072B2', // blue
  warn: '#D55E00', // vermillion
  sky: '#56B4E9',
  grey: '#999999',
  ink: '#222222',
};

const NS = 'http://www.w3.org/2000/svg';

export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number | undefined> = {}, ...children: Array<Node | string | null>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, String(v));
  for (const c of children) if (c !== null) el.append(c);
  return el;
}

/** A chart root with a white background (as the CLI's SVG reports) and a title line. */
export function svgRoot(width: number, height: number, title: string, label = title): SVGSVGElement {
  const root = s('svg', { xmlns: NS, viewBox: `0 0 ${width} ${height}`, width, height, 'font-family': 'sans-serif', 'font-size': 11, role: 'img', 'aria-label': label });
  root.append(s('rect', { width, height, fill: 'white' }), s('text', { x: 10, y: 18, 'font-size': 13, 'font-weight': 'bold' }, title));
  return root;
}

/** A <title> child: the hover text of an SVG element (also read by screen readers). */
export const tip = (text: string) => s('title', {}, text);
