import { h } from './dom.ts';

/** Save a blob under a file name (a temporary link click). */
export function download(name: string, data: Blob | string, type = 'application/octet-stream'): void {
  const blob = typeof data === 'string' ? new Blob([data], { type }) : data;
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The SVG element as a stand-alone file (namespace and a white background, as src/report's charts). */
export function svgText(svg: SVGSVGElement): string {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  copy.querySelectorAll('[data-ui]').forEach((n) => n.remove());
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(copy) + '\n';
}

/** The SVG rasterised at twice its size. */
export async function svgPng(svg: SVGSVGElement): Promise<Blob> {
  const { width, height } = svg.viewBox.baseVal.width ? svg.viewBox.baseVal : svg.getBoundingClientRect();
  const img = new Image();
  const url = URL.createObjectURL(new Blob([svgText(svg)], { type: 'image/svg+xml' }));
  try {
    img.src = url;
    await img.decode();
    const canvas = h('canvas', { width: Math.ceil(width * 2), height: Math.ceil(height * 2) });
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = 'white';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return await new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png'));
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** A chart panel: a title, the SVG, and "SVG" / "PNG" save buttons naming the file after `stem`. */
export function chartPanel(title: string, stem: string, svg: SVGSVGElement, extra: Node[] = []): HTMLElement {
  const saveSvg = h('button', { type: 'button', class: 'small' }, 'SVG');
  const savePng = h('button', { type: 'button', class: 'small' }, 'PNG');
  saveSvg.setAttribute('aria-label', `save ${title} as SVG`);
  savePng.setAttribute('aria-label', `save ${title} as PNG`);
  saveSvg.onclick = () => download(`${stem}.svg`, svgText(svg), 'image/svg+xml');
  savePng.onclick = async () => download(`${stem}.png`, await svgPng(svg));
  return h('figure', { class: 'chart' }, h('figcaption', {}, h('span', {}, title), h('span', { class: 'tools' }, ...extra, saveSvg, savePng)), h('div', { class: 'chart-body' }, svg));
}
