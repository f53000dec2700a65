import type {
  AdapterProcess, ClsSelectProcess, HeadMergeProcess, HeadSplitProcess, ReshapeReorderProcess, ReshapeUnpackProcess,
  StreamCopyProcess, WeightCacheProcess, WindowCacheProcess,
} from '../../ir/index.ts';
import { lcm } from '../../ir/index.ts';
import { type KindEmitter, loopNest, passThrough } from './common.ts';
import { sparseWindowCache } from './sparse.ts';

/** Data-movement processes: they copy, regroup or replay beats and never change a value. */

export const streamCopy: KindEmitter<StreamCopyProcess> = {
  outFields: passThrough,
  emit: (p, ctx) => ({
    summary: `copies each of the ${p.beats} beats to ${p.outputs.length} streams (${p.outputs.join(', ')})`,
    inNames: ['in'],
    outNames: p.outputs.map((_, k) => `out${k}`),
    body(w) {
      loopNest(w, [['i', p.beats]], () => {
        w.line(`${ctx.ins[0].beat} b = in.read();`);
        p.outputs.forEach((_, k) => w.line(`out${k}.write(b);`));
      });
    },
  }),
};

export const clsSelect: KindEmitter<ClsSelectProcess> = {
  outFields: passThrough,
  emit: (p, ctx) => ({
    summary: `reads all ${p.beats} beats of the image and forwards lane 0 (token 0, the CLS token) of the first ${p.channels}`,
    inNames: ['in'],
    outNames: ['out'],
    body(w) {
      loopNest(w, [['i', p.beats]], () => {
        w.line(`${ctx.ins[0].beat} b = in.read();`);
        w.block(`if (i < ${p.channels})`, () => {
          w.line(`${ctx.outs[0].beat} o;`);
          w.line('o.d[0] = b.d[0];');
          w.line('out.write(o);');
        });
      });
    },
  }),
};

/** Lane index of (token p of the beat, channel c of the beat) with cp channels per token: p·cp + c. */
export const adapter: KindEmitter<AdapterProcess> = {
  outFields: passThrough,
  emit(p, ctx) {
    const { tt, tp, channels, cip, cop } = p;
    const pack = cip <= cop;
    const r = pack ? cop / cip : cip / cop;
    return {
      summary: pack
        ? `packs ${r} beats of ${tp}×${cip} into one of ${tp}×${cop} (${channels} channels per token)`
        : `unpacks one beat of ${tp}×${cip} into ${r} beats of ${tp}×${cop} (${channels} channels per token)`,
      inNames: ['in'],
      outNames: ['out'],
      body(w) {
        if (pack) {
          w.line(`${ctx.outs[0].beat} o;`);
          loopNest(w, [['tt', tt], ['ct', channels / cop], ['r', r]], () => {
            w.line(`${ctx.ins[0].beat} b = in.read();`);
            w.line(`for (int p = 0; p < ${tp}; p++)`);
            w.line(`  for (int c = 0; c < ${cip}; c++) o.d[p * ${cop} + r * ${cip} + c] = b.d[p * ${cip} + c];`);
            w.line(`if (r == ${r - 1}) out.write(o);`);
          });
        } else {
          w.line(`${ctx.ins[0].beat} b;`);
          loopNest(w, [['tt', tt], ['ct', channels / cip], ['r', r]], () => {
            w.line('if (r == 0) b = in.read();');
            w.line(`${ctx.outs[0].beat} o;`);
            w.line(`for (int p = 0; p < ${tp}; p++)`);
            w.line(`  for (int c = 0; c < ${cop}; c++) o.d[p * ${cop} + c] = b.d[p * ${cip} + r * ${cop} + c];`);
            w.line('out.write(o);');
          });
        }
      },
    };
  },
};

export const windowCache: KindEmitter<WindowCacheProcess> = {
  outFields: passThrough,
  emit(p, ctx) {
    if (p.sparsity) return sparseWindowCache({ ...p, sparsity: p.sparsity }, ctx);
    const { tt, ci, co, cip, cop } = p.shape;
    const cit = ci / cip;
    const cot = co / cop;
    return {
      summary: `keeps one token-pair row (${cit} beats of ${cip} channels) and replays it for each of the ${cot} output tiles`,
      inNames: ['in'],
      outNames: ['out'],
      body(w) {
        w.line(`${ctx.ins[0].beat} window[${cit}];`);
        loopNest(w, [['tt', tt], ['cot', cot], ['cit', cit]], () => {
          w.line(`${ctx.ins[0].beat} b;`);
          w.block('if (cot == 0)', () => {
            w.line('b = in.read();');
            w.line('window[cit] = b;');
          });
          w.line('else b = window[cit];');
          w.line('out.write(b);');
        });
      },
    };
  },
};

export const weightCache: KindEmitter<WeightCacheProcess> = {
  outFields: passThrough,
  emit(p, ctx) {
    const { tt, ci, co, cip, cop } = p.shape;
    const cit = ci / cip;
    const cot = co / cop;
    const k = p.groups ?? 1;
    return {
      summary: `stores all ${k > 1 ? `${k} heads' ` : ''}${cot}×${cit} weight tiles of the image (${p.transposed ? 'arriving key-tile-major, transposed' : 'arriving row-major'}), then replays them for each of the ${tt} token pairs`,
      inNames: ['in'],
      outNames: ['out'],
      body(w) {
        if (k > 1) {
          // k heads share the pipeline: the reshaper writes each key (token) tile of all k heads in turn, and the
          // rows are (token pair, head) pairs, so row t uses head t % k's tiles.
          w.line(`${ctx.ins[0].beat} tiles[${k}][${cot * cit}];`);
          const outer: Array<[string, number]> = p.transposed ? [['cit', cit], ['g', k], ['cot', cot]] : [['cot', cot], ['g', k], ['cit', cit]];
          loopNest(w, outer, () => w.line(`tiles[g][cot * ${cit} + cit] = in.read();`), 'fill');
          loopNest(w, [['tt', tt], ['cot', cot], ['cit', cit]], () => w.line(`out.write(tiles[tt % ${k}][cot * ${cit} + cit]);`), 'replay');
          return;
        }
        w.line(`${ctx.ins[0].beat} tiles[${cot * cit}];`);
        const outer: Array<[string, number]> = p.transposed ? [['cit', cit], ['cot', cot]] : [['cot', cot], ['cit', cit]];
        loopNest(w, outer, () => w.line(`tiles[cot * ${cit} + cit] = in.read();`), 'fill');
        loopNest(w, [['tt', tt], ['cot', cot], ['cit', cit]], () => w.line(`out.write(tiles[cot * ${cit} + cit]);`), 'replay');
      },
    };
  },
};

export const headSplit: KindEmitter<HeadSplitProcess> = {
  outFields: passThrough,
  emit(p, ctx) {
    const per = p.headDim / p.cp;
    return {
      summary: `sends channels [${p.headDim}h, ${p.headDim}h + ${p.headDim}) of each token pair to head h's stream`,
      inNames: ['in'],
      outNames: p.outputs.map((_, h) => `out${h}`),
      body(w) {
        loopNest(w, [['tt', p.tt], ['h', p.heads], ['j', per]], () => {
          w.line(`${ctx.ins[0].beat} b = in.read();`);
          p.outputs.forEach((_, h) => w.line(`${h === 0 ? '' : 'else '}if (h == ${h}) out${h}.write(b);`));
        });
      },
    };
  },
};

export const headMerge: KindEmitter<HeadMergeProcess> = {
  outFields: passThrough,
  emit(p, ctx) {
    const per = p.headDim / p.cp;
    return {
      summary: `interleaves the ${p.heads} head streams back into rows of ${p.heads * p.headDim} channels (head-major)`,
      inNames: p.inputs.map((_, h) => `in${h}`),
      outNames: ['out'],
      body(w) {
        loopNest(w, [['tt', p.tt], ['h', p.heads], ['j', per]], () => {
          w.line(`${ctx.outs[0].beat} b;`);
          p.inputs.forEach((_, h) => w.line(`${h === 0 ? '' : 'else '}if (h == ${h}) b = in${h}.read();`));
          w.line('out.write(b);');
        });
      },
    };
  },
};

export const reshapeUnpack: KindEmitter<ReshapeUnpackProcess> = {
  outFields: passThrough,
  emit: (p, ctx) => ({
    summary: `serialises beats of ${p.tp} tokens to one element per iteration (order: token pair, channel, token)`,
    inNames: ['in'],
    outNames: ['out'],
    body(w) {
      w.line(`${ctx.ins[0].beat} b;`);
      // II = 2, as in HG-PIPE's reshaper (the IR's timing program models it so).
      loopNest(w, [['tt', p.tokens / p.tp], ['d', p.headDim], ['p', p.tp]], () => {
        w.line('if (p == 0) b = in.read();');
        w.line(`${ctx.outs[0].beat} o;`);
        w.line('o.d[0] = b.d[p];');
        w.line('out.write(o);');
      }, undefined, 2);
    },
  }),
};

export const reshapeReorder: KindEmitter<ReshapeReorderProcess> = {
  outFields: passThrough,
  emit(p, ctx) {
    const g = lcm(p.tip, p.top);
    const tile = p.top * p.cop;
    // Lane of (token tk, channel dk) inside a tile: the MAC's weight layout o·cip + i (o = output channel).
    const lane = p.transposed ? `dk * ${p.top} + tk` : `tk * ${p.cop} + dk`;
    return {
      summary: `buffers ${g} tokens × ${p.headDim} channels, then writes tiles of ${p.top} tokens × ${p.cop} channels${p.transposed ? ' (transposed: channel-major lanes)' : ''}`,
      inNames: ['in'],
      outNames: ['out'],
      body(w) {
        w.line(`${ctx.ins[0].elem} buf[${g}][${p.headDim}];`);
        w.block(`for (int grp = 0; grp < ${p.tokens / g}; grp++)`, () => {
          loopNest(w, [['t2', g / p.tip], ['d', p.headDim], ['p', p.tip]], () => w.line(`buf[t2 * ${p.tip} + p][d] = in.read().d[0];`), 'read');
          w.line(`${ctx.outs[0].beat} o;`);
          loopNest(w, [['j', g / p.top], ['dt', p.headDim / p.cop], ['k', tile]], () => {
            w.line(p.transposed ? `int dk = k / ${p.top}, tk = k % ${p.top};` : `int tk = k / ${p.cop}, dk = k % ${p.cop};`);
            w.line(`o.d[${lane}] = buf[j * ${p.top} + tk][dt * ${p.cop} + dk];`);
            w.line(`if (k == ${tile - 1}) out.write(o);`);
          }, 'write');
        });
      },
    };
  },
};
