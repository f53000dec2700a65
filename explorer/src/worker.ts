/**
 * The explorer's Web Worker: the library's own planner, simulator and integer engine, run off the page's main
 * thread. One request at a time per worker; the page runs several workers for concurrent work.
 */
import { fail, isVitpipeError } from '../../src/diag/index.ts';
import { infer, topK } from '../../src/engine/index.ts';
import { blockAnalyticInterval, designToJson, loadDesign, parseDesign, type Design } from '../../src/ir/index.ts';
import type { ArithMode } from '../../src/ops/index.ts';
import { plan } from '../../src/plan/index.ts';
import { selectTokens, clsScores, parseTokenOption } from '../../src/prune/index.ts';
import { parseHardwareTypes, refsFromTexts, weightsFromSource, type HardwareTypes, type ModelWeights } from '../../src/refs/index.ts';
import { blockImagesOf, simulateBlocksAlone, simulateDesign } from '../../src/sim/index.ts';
import { MODEL_ZOO } from '../../src/model/index.ts';
import type { ClassifyTask, ErrorInfo, Reply, SimTask, Task, WeightsTask } from './protocol.ts';

const post = (r: Reply, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(r, transfer);

let weights: ModelWeights | null = null;
let types: HardwareTypes | null = null;

self.onmessage = async (ev: MessageEvent<{ id: number; task: Task }>) => {
  const { id, task } = ev.data;
  const t0 = performance.now();
  const progress = (done: number, total: number, detail: string) => post({ id, type: 'progress', done, total, detail });
  try {
    const result = await run(task, progress);
    post({ id, type: 'done', result, seconds: (performance.now() - t0) / 1000 });
  } catch (e) {
    post({ id, type: 'failed', error: toErrorInfo(e) });
  }
};

function toErrorInfo(e: unknown): ErrorInfo {
  if (isVitpipeError(e)) return { ...e.diagnostic };
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

async function run(task: Task, progress: (done: number, total: number, detail: string) => void): Promise<unknown> {
  switch (task.kind) {
    case 'plan': {
      const r = plan({ model: task.model, device: task.device, targetFps: task.targetFps, clockMhz: task.clockMhz, onProgress: progress });
      // The design goes back as its design.json text: the page offers it for download and the simulator takes it.
      const blockFigures = (r.design?.blocks ?? []).map((b) => ({ name: b.name, kind: b.kind, interval: blockAnalyticInterval(b).cycles, process: blockAnalyticInterval(b).process }));
      return { ...r, design: null, designJson: r.design ? designToJson(r.design) : null, blockFigures };
    }
    case 'sim-network':
    case 'sim-blocks':
    case 'sim-timeline':
      return simulate(task, progress);
    case 'weights':
      return loadWeightsOverHttp(task, progress);
    case 'classify':
      return classify(task);
  }
}

function simulate(task: SimTask, progress: (done: number, total: number, detail: string) => void) {
  const design = designOf(task);
  const opts = { images: task.images, clockMhz: task.clockMhz };
  if (task.kind === 'sim-blocks') return simulateBlocksAlone(design, blockImagesOf(opts), 'fast', (name) => progress(0, design.blocks.length, name));
  if (task.kind === 'sim-timeline') return simulateDesign(design, { ...opts, blocks: false, timelineBins: 400 }).network;
  return simulateDesign(design, { ...opts, blocks: false, onNetworkCycle: (c) => progress(c, 0, `cycle ${c.toLocaleString('en-US')}`) }).network;
}

/** The task's design through the CLI's own loader and schema (a built-in name, or design.json text). */
function designOf(task: SimTask): Design {
  const d = task.design;
  if ('builtin' in d) return loadDesign(d.builtin);
  let raw: unknown;
  try {
    raw = JSON.parse(d.json);
  } catch (e) {
    fail('BAD_DESIGN', `not JSON: ${(e as Error).message}`, d.file, 'expected a design.json written by vitpipe plan --out or this page');
  }
  return parseDesign(raw, d.file);
}

async function loadWeightsOverHttp(task: WeightsTask, progress: (done: number, total: number, detail: string) => void) {
  const texts = new Map<string, string>();
  let done = 0;
  const fetchOne = async (name: string) => {
    const res = await fetch(`${task.base}/${encodeURIComponent(name)}.txt`);
    if (res.ok) texts.set(name, await res.text());
    progress(++done, task.files.length, name);
  };
  // A few requests at a time: the loopback server answers each from disk.
  const queue = [...task.files];
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let n = queue.shift(); n !== undefined; n = queue.shift()) await fetchOne(n);
  }));
  weights = weightsFromSource(refsFromTexts(texts, 'weights'), MODEL_ZOO['hgpipe-deit-tiny']);
  types = null;
  if (task.types) {
    const res = await fetch(task.types);
    if (res.ok) types = parseHardwareTypes(await res.json(), 'hardware-types.json');
  }
  return { files: texts.size, hardwareTypes: types !== null };
}

/** One photo's patches in each mode: top-5, wraps, every block's per-head CLS attention, the pruning's dropped patches. */
function classify(task: ClassifyTask) {
  if (!weights) throw new Error('no weights loaded');
  const cfg = weights.config;
  const results: Record<string, unknown> = {};
  const attention: Array<ReturnType<typeof clsAttention>> = [];
  let pruned: Array<{ block: number; dropped: number[] }> = [];
  for (const mode of task.modes as ArithMode[]) {
    if (mode === 'hardware' && !types) throw new Error('hardware mode needs hardware-types.json beside the weights');
    const first = mode === task.modes[0];
    // Parsed and checked by the CLI's own --prune-tokens parser (its messages name what is wrong).
    const setting = task.pruning.trim() ? parseTokenOption(task.pruning, cfg.depth) : null;
    // Original token index of each current row (−1: the fused token), to draw dropped patches on the photo.
    let origin = Array.from({ length: cfg.tokens }, (_, i) => i);
    const drops: Array<{ block: number; dropped: number[] }> = [];
    const keepAt = new Map((setting?.tokens?.stages ?? []).map((s) => [s.block, s.keep]));
    const r = infer(weights, task.patches, {
      mode,
      types: types ?? undefined,
      maxWrapEvents: 1000,
      tokenPruner: (block, x, tokens, probs) => {
        if (first) attention.push(clsAttention(block, probs, cfg.heads, tokens, origin, cfg.tokens));
        const keep = keepAt.get(block);
        if (keep === undefined) return { x, tokens };
        const sel = selectTokens(x, tokens, cfg.width, clsScores(probs, cfg.heads, tokens), keep, setting!.tokens!.fuse);
        drops.push({ block, dropped: sel.dropped.map((t) => origin[t]).filter((t) => t > 0) });
        origin = [0, ...sel.kept.map((t) => origin[t]), ...(sel.tokens > sel.kept.length + 1 ? [-1] : [])];
        return { x: sel.x, tokens: sel.tokens };
      },
    });
    if (first) pruned = drops;
    results[mode] = {
      top5: topK(r.logits, 5),
      wrapCount: r.wrapCount,
      wrapTallies: r.wrapTallies,
      wraps: r.wraps.slice(0, 200),
    };
  }
  return { results, attention, pruned };
}

/** Row 0 (CLS) of each head's softmax output, mapped back to the original image tokens (1..T−1). */
function clsAttention(block: number, probs: Int32Array, heads: number, tokens: number, origin: number[], allTokens: number) {
  const maps: number[][] = [];
  for (let h = 0; h < heads; h++) {
    const m = new Array<number>(allTokens).fill(0);
    for (let j = 1; j < tokens; j++) if (origin[j] > 0) m[origin[j]] = probs[h * tokens * tokens + j];
    maps.push(m);
  }
  return { block, heads, tokens: allTokens, maps };
}
