import { imageToPatches } from '../image/index.ts';
import { MODEL_ZOO, isQuantizedFolder, shapeOf, type ViTConfig } from '../model/index.ts';
import type { QuantizedFolder } from './quantized.ts';
import type { ArithMode, WrapEvent, WrapTally } from '../ops/index.ts';
import { defaultTypesFile, loadHardwareTypes, loadWeights, readRefsFileInt32, type HardwareTypes, type ModelWeights } from '../refs/index.ts';
import { fail } from '../diag/index.ts';
import { infer } from './network.ts';
import { makeTokenMerger } from '../merge/merger.ts';
import { mergeRates } from '../merge/config.ts';

/** What to run the network on: a photo (through the image front end) or a ready patch matrix in refs format. */
export interface InputSpec {
  kind: 'image' | 'patches';
  file: string;
}

/** Everything a run needs besides its inputs; plain data so it can cross to worker threads. */
export interface RunRequest {
  weightsDir: string;
  /** hardware-types.json; default: beside or inside weightsDir. */
  typesFile?: string;
  /** Modes to run each input in (the audit runs both to compare their top-1). */
  modes: ArithMode[];
  maxWrapEvents?: number;
  /** Keep every traced tensor (for --dump). */
  keepTrace?: boolean;
  model?: ViTConfig;
  /** Token merging (`--merge-tokens`, docs/TOKEN-MERGING.md): r per layer or one r for all; absent ⇒ unmerged. */
  mergeTokens?: number | number[];
  /** With mergeTokens: proportional attention (default true). */
  proportionalAttention?: boolean;
}

export interface RunResult {
  file: string;
  logits: Partial<Record<ArithMode, Int32Array>>;
  wraps: WrapEvent[];
  wrapCount: number;
  wrapTallies: WrapTally[];
  /** Traced tensors of the first mode, by refs name, when keepTrace was asked. */
  trace?: Record<string, Int32Array>;
}

const weightsCache = new Map<string, ModelWeights>();
const typesCache = new Map<string, HardwareTypes>();

export function cachedWeights(dir: string, model: ViTConfig): ModelWeights {
  const key = `${dir}\0${model.name}`;
  let w = weightsCache.get(key);
  if (!w) weightsCache.set(key, (w = loadWeights(dir, model)));
  return w;
}

const quantizedCache = new Map<string, QuantizedFolder>();

/**
 * A quantized model folder (`vitpipe quantize`), loaded once per thread. Its module (and the float front end it
 * uses) is imported only then: worker threads running HG-PIPE's refs start without them.
 */
export async function cachedQuantized(dir: string): Promise<QuantizedFolder & { photoToCodes: typeof import('./quantized.ts').photoToCodes }> {
  const m = await import('./quantized.ts');
  let q = quantizedCache.get(dir);
  if (!q) quantizedCache.set(dir, (q = m.loadQuantizedFolder(dir)));
  return { ...q, photoToCodes: m.photoToCodes };
}

function cachedTypes(req: RunRequest): HardwareTypes {
  const file =
    req.typesFile ??
    defaultTypesFile(req.weightsDir) ??
    fail('BAD_ARGUMENT', `hardware mode needs hardware-types.json; none beside ${req.weightsDir}`, '--types', 'pass --types <file>');
  let t = typesCache.get(file);
  if (!t) typesCache.set(file, (t = loadHardwareTypes(file)));
  return t;
}

export async function loadInput(input: InputSpec, model: ViTConfig): Promise<Int32Array> {
  if (input.kind === 'image') return imageToPatches(input.file, model);
  return readRefsFileInt32(input.file, [model.tokens, shapeOf(model).patchElements]);
}

/** Run one input in every requested mode (in this thread). */
export async function runOne(input: InputSpec, req: RunRequest): Promise<RunResult> {
  const quantized = isQuantizedFolder(req.weightsDir) ? await cachedQuantized(req.weightsDir) : undefined;
  const model = quantized?.weights.config ?? req.model ?? MODEL_ZOO['hgpipe-deit-tiny'];
  const weights = quantized?.weights ?? cachedWeights(req.weightsDir, model);
  const types = req.modes.includes('hardware') ? cachedTypes(req) : undefined;
  const patches = quantized && input.kind === 'image' ? await quantized.photoToCodes(input.file, quantized.manifest) : await loadInput(input, model);
  const result: RunResult = { file: input.file, logits: {}, wraps: [], wrapCount: 0, wrapTallies: [] };
  const tokenMerger = req.mergeTokens === undefined ? undefined
    : makeTokenMerger(weights, mergeRates(req.mergeTokens, model.depth, '--merge-tokens'), { proportional: req.proportionalAttention });
  for (const mode of req.modes) {
    const trace: Record<string, Int32Array> | undefined = req.keepTrace && !result.trace ? {} : undefined;
    const r = infer(weights, patches, {
      mode,
      types,
      maxWrapEvents: req.maxWrapEvents,
      trace: trace && ((name, data) => (trace[name] = data.slice())),
      tokenMerger,
    });
    result.logits[mode] = r.logits;
    if (mode === 'hardware') {
      result.wraps = r.wraps;
      result.wrapCount = r.wrapCount;
      result.wrapTallies = r.wrapTallies;
    }
    if (trace) result.trace = trace;
  }
  return result;
}
