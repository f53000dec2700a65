/** Pieces every hand-written SVG report shares. */

/** Text escaped for SVG content and attributes. */
export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Opening lines of a stand-alone chart: the root element, a white background and a centred title at height `titleY`. */
export function chartStart(width: number, height: number, title: string, titleY = 20): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="${titleY}" text-anchor="middle" font-size="14">${esc(title)}</text>`,
  ];
}
