/**
 * The engine's batch runs over the queue: the same inputs and requests as `runBatch`, `runPrunedBatch` and
 * `runFloatBatch`, split into shards, run by workers, and gathered into the same result objects in the same order
 * (so the commands' printers write the same output).
 */
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fail } from '../diag/index.ts';
import type { InputSpec, RunRequest, RunResult } from '../engine/index.ts';
import type { FloatResult } from '../float/index.ts';
import { MODEL_ZOO } from '../model/index.ts';
import type { PruneRunRequest, PruneRunResult } from '../prune/index.ts';
import { defaultTypesFile } from '../refs/index.ts';
import { parseQueueUrl } from './connection.ts';
import { runShards, type RunReport, type ShardProgress } from './coordinator.ts';
import { folderManifest, sha256File } from './hash.ts';
import { decodeResults, type ShardWork, type Task } from './schema.ts';

export interface QueueRunOptions {
  /** redis://[user:password@]host:port */
  url: string;
  runId?: string;
  /** Inputs per shard (default 64; 16 for pruning sweeps, whose shards also take up to 16 settings). */
  shardSize?: number;
  /** The folder job paths are relative to (default: the deepest folder holding the weights and every input). */
  dataRoot?: string;
  /** Pruning sweeps: settings per shard (default 16). */
  settingsPerShard?: number;
  onProgress?: (p: ShardProgress) => void;
  onReport?: (r: RunReport) => void;
}

const DEFAULT_SHARD = 64;
const DEFAULT_PRUNE_SHARD = 16;
const SETTINGS_PER_SHARD = 16;

/** `runBatch` on the queue's workers. */
export async function queuedRunBatch(command: string, inputs: InputSpec[], req: RunRequest, q: QueueRunOptions): Promise<RunResult[]> {
  if (req.keepTrace) fail('BAD_ARGUMENT', '--dump writes every tensor of every photo; run it without --queue', '--dump');
  if (req.model && req.model.name !== MODEL_ZOO['hgpipe-deit-tiny'].name) fail('BAD_ARGUMENT', `--queue runs the weights folder's own model, not ${req.model.name}`);
  const typesFile = req.modes.includes('hardware')
    ? (req.typesFile ?? defaultTypesFile(req.weightsDir) ?? fail('BAD_ARGUMENT', `hardware mode needs hardware-types.json; none beside ${req.weightsDir}`, '--types', 'pass --types <file>'))
    : undefined;
  const task: Task = { kind: 'engine', modes: req.modes, ...(req.maxWrapEvents !== undefined ? { maxWrapEvents: req.maxWrapEvents } : {}) };
  const results = await runOnQueue(command, req.weightsDir, typesFile, chunks(inputs, q.shardSize ?? DEFAULT_SHARD).map((c) => ({ inputs: c, task })), q);
  return results.flatMap((buf, s) => decodeResults('engine', buf, chunkAt(inputs, q.shardSize ?? DEFAULT_SHARD, s).length))
    .map((r, i) => ({ ...r, file: inputs[i].file }));
}

/** `runPrunedBatch` on the queue's workers: shards of up to 16 photos × 16 settings. */
export async function queuedPrunedBatch(command: string, inputs: InputSpec[], req: PruneRunRequest, q: QueueRunOptions): Promise<PruneRunResult[]> {
  if (req.model && req.model.name !== MODEL_ZOO['hgpipe-deit-tiny'].name) fail('BAD_ARGUMENT', `--queue runs the refs' model, not ${req.model.name}`);
  const size = q.shardSize ?? DEFAULT_PRUNE_SHARD;
  const photoBlocks = chunks(inputs, size);
  const settingBlocks = chunks(req.settings, q.settingsPerShard ?? SETTINGS_PER_SHARD);
  const shards = photoBlocks.flatMap((photos) => settingBlocks.map((settings) => ({ inputs: photos, task: { kind: 'prune' as const, settings } })));
  const results = await runOnQueue(command, req.weightsDir, undefined, shards, q);
  const out: PruneRunResult[] = inputs.map((input) => ({ file: input.file, predictions: [] }));
  results.forEach((buf, s) => {
    const block = Math.floor(s / settingBlocks.length);
    decodeResults('prune', buf, shards[s].inputs.length).forEach((r, i) => out[block * size + i].predictions.push(...r.predictions));
  });
  return out;
}

/** `runFloatBatch` on the queue's workers. */
export async function queuedFloatBatch(command: string, modelDir: string, files: string[], q: QueueRunOptions): Promise<FloatResult[]> {
  const inputs: InputSpec[] = files.map((file) => ({ kind: 'image', file }));
  const size = q.shardSize ?? DEFAULT_SHARD;
  const results = await runOnQueue(command, modelDir, undefined, chunks(inputs, size).map((c) => ({ inputs: c, task: { kind: 'float' as const } })), q);
  return results.flatMap((buf, s) => decodeResults('float', buf, chunkAt(inputs, size, s).length)).map((r, i) => ({ ...r, file: files[i] }));
}

async function runOnQueue(command: string, weightsDir: string, typesFile: string | undefined, shards: { inputs: InputSpec[]; task: Task }[], q: QueueRunOptions): Promise<Buffer[]> {
  const target = parseQueueUrl(q.url); // bad URL: fail before hashing anything
  const weights = folderManifest(resolve(weightsDir));
  const paths = [resolve(weightsDir), ...(typesFile ? [resolve(typesFile)] : []), ...shards.flatMap((s) => s.inputs.map((i) => resolve(i.file)))];
  const root = q.dataRoot ? resolve(q.dataRoot) : commonFolder([resolve(weightsDir), ...paths.slice(1).map((p) => dirname(p))]);
  const rel = (p: string) => {
    const r = relative(root, p);
    if (r.startsWith('..') || isAbsolute(r)) fail('BAD_ARGUMENT', `${p} is outside the data root ${root}`, '--data-root', 'give a --data-root that holds the weights and every input');
    return r === '' ? '.' : r.split(sep).join('/');
  };
  const hashes = new Map<string, string>();
  const hashOf = (p: string) => hashes.get(p) ?? (hashes.set(p, sha256File(p)), hashes.get(p)!);
  const works: ShardWork[] = shards.map((s) => ({
    weights: { path: rel(resolve(weightsDir)), digest: weights.digest },
    ...(typesFile ? { types: { path: rel(resolve(typesFile)), sha256: hashOf(resolve(typesFile)) } } : {}),
    inputs: s.inputs.map((i) => ({ kind: i.kind, path: rel(resolve(i.file)), sha256: hashOf(resolve(i.file)) })),
    task: s.task,
  }));
  const { results, report } = await runShards({ target, command, works, root, weightsManifest: weights.files, runId: q.runId, onProgress: q.onProgress });
  q.onReport?.(report);
  return results;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function chunkAt<T>(items: T[], size: number, k: number): T[] {
  return items.slice(k * size, (k + 1) * size);
}

/** The deepest folder containing every given folder. */
function commonFolder(folders: string[]): string {
  const split = folders.map((f) => f.split(sep));
  const first = split[0];
  let n = first.length;
  for (const parts of split) {
    let k = 0;
    while (k < n && k < parts.length && parts[k] === first[k]) k++;
    n = k;
  }
  return first.slice(0, n).join(sep) || sep;
}
