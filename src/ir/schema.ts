import { z } from 'zod';
import { ModelGeometrySchema } from '../model/index.ts';

/** zod schema of the design JSON file (docs/DESIGN-FORMAT.md). Geometry is checked afterwards by validateDesign. */
const int = z.number().int();
const pos = int.positive();
const stages = z.object({ depth: pos, read: int.nonnegative(), write: int.nonnegative() }).strict();
const shape = z.object({ tt: pos, tp: pos, ci: pos, co: pos, cip: pos, cop: pos }).strict();
const base = { name: z.string().min(1), origin: z.string(), inputs: z.array(z.string()), outputs: z.array(z.string()) };
const bits = pos;
const sparsity = z.object({ rows: z.array(z.array(int)) }).strict();
const table = z.object({ entries: pos, bits }).strict();

const processSchemas = [
  z.object({ ...base, kind: z.literal('stream-copy'), beats: pos, lanes: pos, bits, stages }).strict(),
  z.object({ ...base, kind: z.literal('cls-select'), beats: pos, channels: pos, lanes: pos, bits, stages }).strict(),
  z.object({ ...base, kind: z.literal('adapter'), tt: pos, tp: pos, channels: pos, cip: pos, cop: pos, bits, stages }).strict(),
  z.object({ ...base, kind: z.literal('window-cache'), shape, bits, stages, sparsity: sparsity.optional() }).strict(),
  z.object({
    ...base, kind: z.literal('mac'), shape, weights: z.enum(['static', 'dynamic']), style: z.enum(['stall-all', 'free-running']),
    frpBuffer: int.nonnegative(), inBits: bits, weightBits: bits, accBits: bits,
    weightMemory: z.object({ words: int.nonnegative(), wordBits: int.nonnegative() }).strict(), stages, sparsity: sparsity.optional(),
  }).strict(),
  z.object({ ...base, kind: z.literal('weight-cache'), shape, transposed: z.boolean(), bits, fill: stages, replay: stages, groups: pos.optional() }).strict(),
  z.object({ ...base, kind: z.literal('layernorm'), tt: pos, tp: pos, channels: pos, cp: pos, inBits: bits, outBits: bits, stages, rsqrt: table.optional() }).strict(),
  z.object({
    ...base, kind: z.literal('softmax'), tt: pos, tp: pos, keys: pos, cp: pos, inBits: bits, outBits: bits, stages, validKeys: pos.optional(),
    exp: table.optional(), recip: z.tuple([table, table]).optional(),
  }).strict(),
  z.object({ ...base, kind: z.literal('requant'), fn: z.enum(['quant', 'gelu', 'relu']), beats: pos, lanes: pos, inBits: bits, outBits: bits, tableEntries: pos, stages }).strict(),
  z.object({ ...base, kind: z.literal('head-split'), tt: pos, heads: pos, headDim: pos, cp: pos, lanes: pos, bits, stages }).strict(),
  z.object({ ...base, kind: z.literal('head-merge'), tt: pos, heads: pos, headDim: pos, cp: pos, lanes: pos, bits, stages }).strict(),
  z.object({ ...base, kind: z.literal('residual-merge'), beats: pos, lanes: pos, bits, stages }).strict(),
  z.object({ ...base, kind: z.literal('reshape-unpack'), tokens: pos, headDim: pos, tp: pos, bits }).strict(),
  z.object({
    ...base, kind: z.literal('reshape-reorder'), tokens: pos, headDim: pos, tip: pos, top: pos, cop: pos,
    transposed: z.boolean(), bits, readLoop: stages, writeLoop: stages,
  }).strict(),
  z.object({
    ...base, kind: z.literal('token-select'), side: z.enum(['rank', 'emit']), tokensIn: pos, tokensOut: pos, keep: pos, fuse: z.boolean(),
    width: pos, tp: pos, cpIn: pos, cpOut: pos, cpScore: pos, heads: pos, scoreBits: bits, bits, stages,
  }).strict(),
  z.object({ ...base, kind: z.literal('score-tap'), beats: pos, tapBeats: pos, lanes: pos, bits, stages }).strict(),
  z.object({
    ...base, kind: z.literal('token-merge'), side: z.enum(['keys', 'match', 'gather', 'emit']), tokensIn: pos, tokensOut: pos, merged: pos,
    width: pos, heads: pos, headDim: pos, tp: pos, cpIn: pos, cpOut: pos, cpKey: pos, keyBits: bits, bits, sizeBits: bits, simLanes: pos, stages,
  }).strict(),
] as const;

export const PROCESS_SCHEMAS = processSchemas;
export const ProcessSchema = z.discriminatedUnion('kind', processSchemas);

// Depth and widths are plain numbers here so that validateDesign can reject bad values with a message naming the block.
export const StreamSchema = z.object({ name: z.string().min(1), lanes: int, bits: int, depth: int, impl: z.enum(['shift-register', 'memory']) }).strict();

export const BlockSchema = z.object({
  name: z.string().min(1),
  kind: z.enum(['patch-embed', 'attn', 'mlp', 'head']),
  norm: z.literal('post').optional(),
  input: z.object({ stream: z.string(), beatsPerImage: pos }).strict(),
  output: z.object({ stream: z.string(), beatsPerImage: pos }).strict(),
  streams: z.array(StreamSchema),
  processes: z.array(z.unknown()),
  startEdges: z.array(z.object({ from: z.string(), to: z.string(), depth: int }).strict()),
  regions: z.array(z.object({ name: z.string(), members: z.array(z.string()) }).strict()),
}).strict();

export const DesignSchema = z.object({
  format: z.literal('vitpipe-design/1').optional(),
  name: z.string().min(1),
  model: z.string().min(1),
  geometry: ModelGeometrySchema.optional(),
  linkDepth: int,
  blocks: z.array(BlockSchema).min(1),
}).strict();
