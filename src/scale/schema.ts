/**
 * What crosses Redis: a shard's job is data only (paths relative to the coordinator's data root, sha256 hashes and
 * parameters, one of a fixed set of task kinds), validated on arrival; a worker never evaluates anything from it.
 * Results go back as gzip'd JSON, typed arrays as base64 of their little-endian bytes, validated per task kind.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { PruneSettingSchema } from '../prune/index.ts';

/** A run id: also part of Redis keys and job ids, so a conservative alphabet. */
export const RunIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -, at most 64');

/** A path under the data root: relative, `/`-separated, never climbing out of it. */
const RelPath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !isAbsolute(p) && !p.includes('\\') && !p.includes('\0') && !p.split('/').includes('..'), 'a path relative to the data root, without ..');
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const FileRef = z.strictObject({ path: RelPath, sha256: Sha256 });

export const TaskSchema = z.discriminatedUnion('kind', [
  /** The integer engine (refs or quantized folder): `runOne` per input in the given modes. */
  z.strictObject({ kind: z.literal('engine'), modes: z.array(z.enum(['ideal', 'hardware'])).min(1).max(2), maxWrapEvents: z.number().int().nonnegative().max(10_000_000).optional() }),
  /** The pruning sweep's accuracy part: every setting on every photo. */
  z.strictObject({ kind: z.literal('prune'), settings: z.array(PruneSettingSchema).min(1).max(10_000) }),
  /** A float model folder from `vitpipe import`. */
  z.strictObject({ kind: z.literal('float') }),
]);
export type Task = z.infer<typeof TaskSchema>;

/** One shard's work, as the coordinator splits it (the same for every run of the same command and inputs). */
export const ShardWorkSchema = z.strictObject({
  weights: z.strictObject({ path: RelPath, digest: Sha256 }),
  types: FileRef.optional(),
  inputs: z.array(z.strictObject({ kind: z.enum(['image', 'patches']), path: RelPath, sha256: Sha256 })).min(1).max(4096),
  task: TaskSchema,
});
export type ShardWork = z.infer<typeof ShardWorkSchema>;

export const ShardJobSchema = z.strictObject({
  version: z.literal(1),
  runId: RunIdSchema,
  shard: z.number().int().nonnegative(),
  /** The coordinator's data root: where workers without --data-root find the files (same paths everywhere). */
  root: z.string().min(1).max(4096),
  work: ShardWorkSchema,
});
export type ShardJob = z.infer<typeof ShardJobSchema>;

const Int32 = z.instanceof(Int32Array);
const WrapEventSchema = z.strictObject({ block: z.string(), operator: z.string(), field: z.string(), element: z.number(), value: z.number(), wrapped: z.number(), type: z.string() });
const WrapTallySchema = z.strictObject({ block: z.string(), operator: z.string(), field: z.string(), type: z.string(), count: z.number(), min: z.number(), max: z.number() });

/** Per-input results of each task kind, as `runOne`, `runPrunedOne` and `runFloatOne` return them. */
export const ResultSchemas = {
  engine: z.strictObject({
    file: z.string(),
    logits: z.strictObject({ ideal: Int32.optional(), hardware: Int32.optional() }),
    wraps: z.array(WrapEventSchema),
    wrapCount: z.number().int().nonnegative(),
    wrapTallies: z.array(WrapTallySchema),
  }),
  prune: z.strictObject({ file: z.string(), predictions: z.array(z.strictObject({ top5: z.array(z.number().int()) })) }),
  float: z.strictObject({ file: z.string(), logits: z.instanceof(Float64Array) }),
} as const;

function bytesOf(a: Int32Array | Float64Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function typed<T extends Int32Array | Float64Array>(text: string, make: (n: number) => T): T {
  const bytes = Buffer.from(text, 'base64');
  const out = make(bytes.length / make(0).BYTES_PER_ELEMENT);
  Buffer.from(out.buffer).set(bytes);
  return out;
}

/** A shard's results as stored in Redis. */
export function encodeResults(results: unknown[]): Buffer {
  const json = JSON.stringify(results, (_k, v: unknown) =>
    v instanceof Int32Array ? { $i32: bytesOf(v) } : v instanceof Float64Array ? { $f64: bytesOf(v) } : v,
  );
  return gzipSync(json);
}

/** Decode and validate a shard's stored results: `count` results of the task's kind. */
export function decodeResults<K extends Task['kind']>(kind: K, bytes: Buffer, count: number): z.infer<(typeof ResultSchemas)[K]>[] {
  const raw: unknown = JSON.parse(gunzipSync(bytes).toString('utf8'), (_k, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if (typeof o.$i32 === 'string') return typed(o.$i32, (n) => new Int32Array(n));
      if (typeof o.$f64 === 'string') return typed(o.$f64, (n) => new Float64Array(n));
    }
    return v;
  });
  return z.array(ResultSchemas[kind]).length(count).parse(raw) as z.infer<(typeof ResultSchemas)[K]>[];
}
