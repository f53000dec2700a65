/**
 * Classify view: photos decoded by the explorer's server with the CLI's own front end (sharp + the Pillow-exact
 * resize), then the bit-exact integer ViT in a Web Worker, in ideal and hardware arithmetic side by side.
 */
import { labelOfClass } from '../../src/image/labels.ts';
import { patchRows } from '../../src/image/preprocess.ts';
import type { WorkerClient } from './client.ts';
import { TaskError } from './client.ts';
import { fmt, h, Status, table } from './dom.ts';
import { chartPanel } from './export.ts';
import { PALETTE, s, svgRoot } from './svg.ts';

export interface WeightsInfo {
  path: string;
  kind: string;
  files: string[];
  types: boolean;
  error: string | null;
}
interface ModeResult {
  top5: Array<{ class: number; logit: number }>;
  wrapCount: number;
  wrapTallies: Array<{ block: string; operator: string; field: string; type: string; count: number; min: number; max: number }>;
}
interface ClassifyResult {
  results: Partial<Record<'ideal' | 'hardware', ModeResult>>;
  attention: Array<{ block: number; heads: number; tokens: number; maps: number[][] }>;
  pruned: Array<{ block: number; dropped: number[] }>;
}
interface Decoded {
  patches: Int32Array;
  crop: Uint8ClampedArray<ArrayBuffer>;
  size: number;
  tokens: number;
}

const label = (c: number) => labelOfClass(c);

/** POST the photo's bytes; the answer is [u32 header length][header JSON][int32 LE patches][crop RGB]. */
async function decodeOnServer(file: File): Promise<Decoded> {
  const res = await fetch('api/decode', { method: 'POST', body: file, headers: { 'x-file-name': encodeURIComponent(file.name) } });
  if (!res.ok) {
    const body = await res.json().catch(() => ({ error: { code: 'HTTP', message: `server answered ${res.status}` } }));
    throw new TaskError(body.error);
  }
  const buf = await res.arrayBuffer();
  const n = new DataView(buf).getUint32(0, true);
  const head = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, n))) as { tokens: number; patchElements: number; size: number };
  const count = head.tokens * head.patchElements;
  const patches = new Int32Array(buf.slice(4 + n, 4 + n + 4 * count));
  const rgb = new Uint8Array(buf, 4 + n + 4 * count, head.size * head.size * 3);
  const crop = new Uint8ClampedArray(head.size * head.size * 4);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) [crop[j], crop[j + 1], crop[j + 2], crop[j + 3]] = [rgb[i], rgb[i + 1], rgb[i + 2], 255];
  return { patches, crop, size: head.size, tokens: head.tokens };
}

function cropDataUrl(d: Decoded): string {
  const c = h('canvas', { width: d.size, height: d.size });
  c.getContext('2d')!.putImageData(new ImageData(d.crop, d.size, d.size), 0, 0);
  return c.toDataURL('image/png');
}

export function classifyView(worker: WorkerClient, weights: WeightsInfo | null): HTMLElement {
  const status = new Status('classify-status');
  const out = h('div', { class: 'results', id: 'classify-results' });
  const fileIn = h('input', { type: 'file', id: 'classify-files', multiple: true, accept: 'image/jpeg,image/png,.jpg,.jpeg,.png' });
  const drop = h('div', { class: 'dropzone', id: 'classify-drop', tabindex: 0, role: 'button', 'aria-label': 'drop photos here, or press Enter to pick files' }, 'Drop JPEG/PNG photos here, or ', h('label', { class: 'linklike' }, 'pick files', fileIn));
  const blockSel = h('select', { id: 'classify-block' }, ...Array.from({ length: 12 }, (_, i) => h('option', { value: i }, `ATTN${i}`)));
  const prune = h('input', { id: 'classify-prune', type: 'text', placeholder: 'e.g. 3,6,9:0.5', size: 12 });
  const controls = h('div', { class: 'controls' }, drop, h('label', {}, 'CLS attention of ', blockSel), h('label', {}, 'token pruning ', prune));
  let loadedGeneration = -1;

  if (!weights || weights.error) {
    const why = weights?.error ?? 'The server was started without weights.';
    return h('section', { id: 'view-classify', class: 'view', 'aria-labelledby': 'tab-classify', hidden: true },
      h('div', { class: 'warning', role: 'alert', id: 'classify-no-weights' }, h('p', {}, h('strong', {}, 'No weights to classify with. '), why),
        h('p', {}, 'Start the explorer with a refs folder, e.g. ', h('code', {}, 'npx vitpipe explore --weights ../shared/hgpipe/refs'), '.')));
  }

  const ensureWeights = async () => {
    if (loadedGeneration === worker.generation) return;
    status.begin('loading the weights…');
    const { result } = await worker.run<{ files: number; hardwareTypes: boolean }>({ kind: 'weights', base: new URL('weights', location.href).href, files: weights.files, types: weights.types ? new URL('weights-types.json', location.href).href : null }, (d, n) => status.progress(`loading the weights: ${d} / ${n} files`));
    loadedGeneration = worker.generation;
    status.done(`weights loaded: ${result.files} files${result.hardwareTypes ? ', hardware widths' : ', no hardware widths (hardware mode unavailable)'}`);
  };


  type Card = { file: File; decoded: Decoded; el: HTMLElement; result?: ClassifyResult };
  const cards: Card[] = [];
  const classifyAll = async (files: File[]) => {
    status.begin(`classifying ${files.length} photo(s)…`);
    try {
      await ensureWeights();
      for (const [i, f] of files.entries()) {
        status.begin(`photo ${i + 1} of ${files.length}: ${f.name}`);
        const card = h('article', { class: 'photo', 'data-file': f.name });
        out.prepend(card);
        try {
          const t0 = performance.now();
          const decoded = await decodeOnServer(f);
          const entry: Card = { file: f, decoded, el: card };
          await render(entry);
          cards.push(entry);
          document.body.dataset.classifySeconds = ((performance.now() - t0) / 1000).toFixed(3);
        } catch (e) {
          card.replaceChildren(h('h3', {}, f.name), h('p', { class: 'error', role: 'alert' }, h('strong', {}, 'Error: '), e instanceof Error ? e.message : String(e)));
          card.classList.add('failed');
        }
      }
      status.done(`${files.length} photo(s) done`);
    } catch (e) {
      status.fail(e);
    }
  };

  const render = async (c: Card) => {
    const modes: Array<'ideal' | 'hardware'> = weights.types ? ['ideal', 'hardware'] : ['ideal'];
    const { result } = await worker.run<ClassifyResult>({ kind: 'classify', patches: c.decoded.patches.slice(), modes, pruning: prune.value });
    c.result = result;
    c.el.replaceChildren(...photoCard(c.file.name, c.decoded, result, Number(blockSel.value)));
  };
  // Every block's attention maps came with the result: another block is drawn without running the network again.
  const redraw = () => {
    for (const c of cards) if (c.result) c.el.replaceChildren(...photoCard(c.file.name, c.decoded, c.result, Number(blockSel.value)));
  };
  const rerender = async () => {
    status.begin('updating…');
    try {
      for (const c of cards) await render(c);
      status.done();
    } catch (e) {
      status.fail(e);
    }
  };
  blockSel.onchange = redraw;
  prune.onchange = () => void rerender();
  prune.addEventListener('keydown', (e) => e.key === 'Enter' && prune.blur());
  fileIn.onchange = () => fileIn.files && void classifyAll([...fileIn.files]);
  drop.addEventListener('keydown', (e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), fileIn.click()));
  drop.addEventListener('dragover', (e) => (e.preventDefault(), drop.classList.add('over')));
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length) void classifyAll(files);
  });

  return h('section', { id: 'view-classify', class: 'view', 'aria-labelledby': 'tab-classify', hidden: true },
    h('p', { class: 'lead' }, `The bit-exact integer ViT (${weights.path}) on your photos: top-5 in ideal and hardware arithmetic, the hardware's wraps, CLS attention per head — `, h('code', {}, 'vitpipe infer'), "'s code in a Web Worker; photos are decoded by the server with the CLI's own front end."),
    controls, status.el, out);
}

function photoCard(name: string, d: Decoded, r: ClassifyResult, block: number): Node[] {
  const nodes: Node[] = [h('h3', {}, name)];
  const cols = (['ideal', 'hardware'] as const).filter((m) => r.results[m]);
  const rows = Array.from({ length: 5 }, (_, i) => cols.flatMap((m) => {
    const t = r.results[m]!.top5[i];
    return [h('span', { 'data-k': `${m}.${i}.class`, 'data-v': String(t.class) }, `${t.class} ${label(t.class)}`), h('span', { 'data-k': `${m}.${i}.logit`, 'data-v': String(t.logit) }, fmt(t.logit))];
  }));
  nodes.push(table(cols.flatMap((m) => [`${m}: class`, 'logit']), rows, { class: 'numbers top5' }));
  const hw = r.results.hardware;
  if (hw) {
    nodes.push(h('p', {}, h('strong', {}, `Hardware wraps: ${fmt(hw.wrapCount)}`), hw.wrapCount ? ' (values that overflowed the width the hardware declares, by block and operator):' : ' — every value fits its declared width.'));
    if (hw.wrapTallies.length) nodes.push(table(['block', 'operator', 'field', 'type', 'wraps', 'value range'], hw.wrapTallies.map((t) => [t.block, t.operator, t.field, t.type, fmt(t.count), `${t.min} … ${t.max}`]), { class: 'numbers wraps' }));
  }
  const att = r.attention.find((a) => a.block === block) ?? r.attention[0];
  const url = cropDataUrl(d);
  const gallery = h('div', { class: 'gallery' });
  if (att) for (let hd = 0; hd < att.heads; hd++) gallery.append(chartPanel(`ATTN${att.block} head ${hd}: CLS attention`, `${name}-attn${att.block}-head${hd}`, overlay(url, d, `ATTN${att.block} head ${hd}`, att.maps[hd], null)));
  for (const p of r.pruned) gallery.append(chartPanel(`dropped after ATTN${p.block} (${p.dropped.length} patches)`, `${name}-pruned${p.block}`, overlay(url, d, `dropped after ATTN${p.block}`, null, p.dropped)));
  nodes.push(gallery);
  return nodes;
}

/** The crop with a heat map of one head's CLS attention, or with the dropped patches hatched. */
function overlay(url: string, d: Decoded, title: string, heat: number[] | null, dropped: number[] | null): SVGSVGElement {
  const scale = 1;
  const size = d.size * scale;
  const root = svgRoot(size + 20, size + 46, title);
  root.append(s('text', { x: 10, y: size + 40, 'font-size': 10 }, heat ? 'clear: most CLS attention; blue: least' : 'dark: patches this selection drops'));
  root.append(s('image', { href: url, x: 10, y: 24, width: size, height: size }));
  const grid = 14;
  const cell = size / grid;
  const rows = patchRows(grid * grid, d.tokens);
  const max = heat ? Math.max(1, ...heat.slice(1)) : 1;
  const droppedSet = new Set(dropped ?? []);
  for (let p = 0; p < grid * grid; p++) {
    const row = rows[p];
    const x = 10 + (p % grid) * cell;
    const y = 24 + Math.floor(p / grid) * cell;
    if (heat && row > 0) {
      const v = heat[row] / max;
      root.append(s('rect', { x, y, width: cell, height: cell, fill: PALETTE.accent, 'fill-opacity': (0.75 * (1 - v)).toFixed(3) }));
    }
    if (dropped && droppedSet.has(row)) root.append(s('rect', { x, y, width: cell, height: cell, fill: PALETTE.ink, 'fill-opacity': 0.6, stroke: PALETTE.warn, 'stroke-width': 0.5 }));
  }
  return root;
}
