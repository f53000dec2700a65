import { fail } from '../../diag/index.ts';
import { sparseIterations, tileSequence, type Block, type MacProcess, type WindowCacheProcess } from '../../ir/index.ts';
import { type ProcCode, type ProcCtx, expect, loopNest, ty } from './common.ts';

/**
 * Block-sparse static matmuls (IR `sparsity`): the window cache is double-buffered and replays, per iteration, the
 * input beat of the stored tile's column (a column-index ROM); the MAC iterates only the stored tiles of a
 * compressed ROM (one word of cop × cip weights per tile, row after row) and a row-end flag per word.
 */

/** C identifier of a process-private constant (`m1.cache_window` → `m1_cache_window_<what>`). */
const own = (p: { name: string }, what: string): string => `${p.name.replace(/[^A-Za-z0-9]/g, '_')}_${what}`;

export function sparseWindowCache(p: WindowCacheProcess & { sparsity: NonNullable<WindowCacheProcess['sparsity']> }, ctx: ProcCtx): ProcCode {
  const { tt, ci, cip } = p.shape;
  const cit = ci / cip;
  const seq = tileSequence(p.sparsity);
  const I = seq.cols.length;
  const P = Math.max(cit, I);
  const cols = ctx.consts.add(own(p, 'tile_col'), seq.cols, `input tile column replayed by each of the ${I} iterations of a token pair (kept tiles, row after row)`);
  return {
    summary: `double-buffered window: reads token pair t (${cit} beats) while replaying the ${I} kept tiles of pair t − 1 (block-sparse, ${tt + 1} periods of ${P})`,
    inNames: ['in'],
    outNames: ['out'],
    body(w) {
      w.line(`${ctx.ins[0].beat} window[2][${cit}];`);
      w.pragma('ARRAY_PARTITION variable=window complete dim=1');
      loopNest(w, [['t', tt + 1], ['j', P]], () => {
        w.block(`if (t < ${tt} && j < ${cit})`, () => w.line('window[t & 1][j] = in.read();'));
        w.block(`if (t >= 1 && j < ${I})`, () => w.line(`out.write(window[(t - 1) & 1][${cols}[j]]);`));
      });
    },
  };
}

/** Every non-zero weight must lie in a stored tile: the pattern comes from the design, the values from the weights. */
function checkCovered(block: Block, p: MacProcess, w: Int32Array): void {
  const { ci, cip, cop } = p.shape;
  const kept = p.sparsity!.rows.map((r) => new Set(r));
  for (let o = 0; o < p.shape.co; o++)
    for (let i = 0; i < ci; i++)
      if (w[o * ci + i] !== 0 && !kept[Math.floor(o / cop)].has(Math.floor(i / cip)))
        fail('BAD_DESIGN', `weight [${o}][${i}] = ${w[o * ci + i]} is non-zero but its tile (row ${Math.floor(o / cop)}, column ${Math.floor(i / cip)}) is not stored by the block-sparse MAC`,
          `block ${block.name}, process ${p.name} (mac), field sparsity`, 'generate with the pruned weights the design was planned for (e.g. --prune-density)');
}

export function sparseMac(p: MacProcess & { sparsity: NonNullable<MacProcess['sparsity']> }, ctx: ProcCtx): ProcCode {
  const { tt, tp, ci, co, cip, cop } = p.shape;
  const b = expect(ctx.bind, 'static-mac', p);
  checkCovered(ctx.block, p, b.w);
  const seq = tileSequence(p.sparsity);
  const I = sparseIterations(p.sparsity);
  const rowOf: number[] = [];
  p.sparsity.rows.forEach((r, k) => {
    for (let j = 0; j < Math.max(1, r.length); j++) rowOf.push(k);
  });
  const tiles = new Int32Array(I * cop * cip);
  for (let j = 0; j < I; j++)
    if (p.sparsity.rows[rowOf[j]].length > 0)
      for (let o = 0; o < cop; o++)
        for (let i = 0; i < cip; i++) tiles[(j * cop + o) * cip + i] = b.w[(rowOf[j] * cop + o) * ci + seq.cols[j] * cip + i];
  const local = b.refs.replace(/^(attn|mlp)_\d+_/, '');
  const wName = ctx.consts.add(`${local}_sparse_tiles`, tiles, `${b.refs}_weight.txt [${co}][${ci}]: the ${I} stored ${cop}×${cip} tiles of ${(co / cop) * (ci / cip)}, row after row (lane o·${cip} + i; an empty row stores one zero tile)`, cop * cip);
  const ends = ctx.consts.add(`${local}_sparse_row_end`, seq.rowEnd.map((e) => (e ? 1 : 0)), 'row-end flag of each stored tile: write the row and start the next');
  const bias = ctx.consts.add(`${local}_bias`, b.bias, `${b.refs}_bias.txt [${co}]`);
  const accT = ty(b.accField);
  return {
    summary: `y = x·Wᵀ + bias (${b.refs}) over the stored tiles only (block-sparse: ${I} of ${(co / cop) * (ci / cip)} tiles), accumulated in ${accT}; ${tp}×${cop}×${cip} MACs per iteration over ${tt}×${I} iterations`,
    inNames: ['in'],
    outNames: ['out'],
    body(w) {
      w.line(`${accT} acc[${tp}][${cop}];`);
      w.pragma('ARRAY_PARTITION variable=acc complete dim=0');
      w.pragma(`ARRAY_PARTITION variable=${wName} complete dim=2`);
      w.pragma(`BIND_STORAGE variable=${wName} type=rom_1p impl=bram`);
      w.line('int row = 0;');
      w.line('bool first = true;');
      loopNest(w, [['tt', tt], ['j', I]], () => {
        w.block('if (j == 0)', () => {
          w.line('row = 0;');
          w.line('first = true;');
        });
        w.line(`${ctx.ins[0].beat} x = in.read();`);
        w.block(`for (int p = 0; p < ${tp}; p++)`, () => {
          w.block(`for (int o = 0; o < ${cop}; o++)`, () => {
            w.line(`${accT} sum = first ? ${accT}(${bias}[row * ${cop} + o]) : acc[p][o];`);
            w.line(`for (int i = 0; i < ${cip}; i++) sum += x.d[p * ${cip} + i] * ${wName}[j][o * ${cip} + i];`);
            w.line('acc[p][o] = sum;');
          });
        });
        w.block(`if (${ends}[j])`, () => {
          w.line(`${ctx.outs[0].beat} y;`);
          w.block(`for (int p = 0; p < ${tp}; p++)`, () => w.block(`for (int o = 0; o < ${cop}; o++)`, () => w.line(`y.d[p * ${cop} + o] = acc[p][o];`)));
          w.line('out.write(y);');
          w.line('row++;');
          w.line('first = true;');
        }, '} else {');
        w.indent(() => w.line('first = false;'));
        w.line('}');
      });
    },
  };
}
