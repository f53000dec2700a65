import { floatRunner, imageToInput, type FloatModel, type FloatTrace } from '../float/index.ts';
import { StatsBook } from './stats.ts';

/**
 * Calibration: run the float model on photos and keep, per tensor the integer model will represent, its range and a
 * sample of its values. Names (`src/float/forward.ts` trace names plus derived ones):
 *   embed                       patch embedding + position (the first block's input)
 *   blocks.i.{attn,mlp}.in      what the block's first matmuls see (pre-norm: LayerNorm output; post-norm: the input)
 *   blocks.i.attn.{q,k,v}       the q/k/v projections;  blocks.i.attn.pmax  each softmax row's largest probability
 *   blocks.i.attn.heads         the attention output before proj;  blocks.i.mlp.{fc1,act}  MLP hidden, before/after
 *   blocks.i.{attn,mlp}.sum     the residual sums;  blocks.i.{attn,mlp}  the sub-block outputs
 *   <LayerNorm input>.var       per-row biased variance of every LayerNorm's input (…sum for post-norm, the stream
 *                               for pre-norm; `cls.var` for the head's, on the class token only)
 *   head.in                     the class token after the head's LayerNorm
 */
export async function calibrate(model: FloatModel, files: readonly string[], onProgress?: (done: number, total: number) => void): Promise<StatsBook> {
  const runner = floatRunner(model);
  const m = model.manifest;
  const { width: D, depth, tokens: T } = m.geometry;
  const book = new StatsBook(files.length);
  const post = m.block.norm === 'post';
  for (let f = 0; f < files.length; f++) {
    const trace: FloatTrace = new Map();
    runner.forward(await imageToInput(files[f], m.input), trace);
    const get = (name: string): Float64Array => trace.get(name)!;
    book.add('embed', get('patch_embed'));
    let stream = 'patch_embed';
    for (let i = 0; i < depth; i++) {
      const b = `blocks.${i}`;
      for (const sub of ['attn', 'mlp'] as const) {
        const at = `${b}.${sub}`;
        book.add(`${at}.in`, get(`${at}.in`));
        book.add(`${at}.sum`, get(`${at}.sum`));
        book.add(at, get(at));
        // The LayerNorm of this sub-block reads the sum (post-norm) or the incoming stream (pre-norm).
        book.add(`${at}.var`, rowVariances(get(post ? `${at}.sum` : stream), T, D));
        stream = at;
      }
      const qkv = get(`${b}.attn.qkv`);
      for (const [name, off] of [['q', 0], ['k', D], ['v', 2 * D]] as const) book.add(`${b}.attn.${name}`, columns(qkv, T, 3 * D, off, D));
      book.add(`${b}.attn.pmax`, get(`${b}.attn.pmax`));
      book.add(`${b}.attn.heads`, get(`${b}.attn.heads`));
      book.add(`${b}.mlp.fc1`, get(`${b}.mlp.fc1`));
      book.add(`${b}.mlp.act`, get(`${b}.mlp.act`));
    }
    book.add('cls.var', rowVariances(get(stream).subarray(0, D), 1, D));
    book.add('cls', get(stream).subarray(0, D));
    book.add('head.in', get('head.in'));
    onProgress?.(f + 1, files.length);
  }
  return book;
}

function rowVariances(x: Float64Array, rows: number, width: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let c = 0; c < width; c++) mean += x[r * width + c];
    mean /= width;
    let v = 0;
    for (let c = 0; c < width; c++) v += (x[r * width + c] - mean) ** 2;
    out[r] = v / width;
  }
  return out;
}

function columns(x: Float64Array, rows: number, stride: number, offset: number, count: number): Float64Array {
  const out = new Float64Array(rows * count);
  for (let r = 0; r < rows; r++) out.set(x.subarray(r * stride + offset, r * stride + offset + count), r * count);
  return out;
}
