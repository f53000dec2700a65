import { fail } from '../../diag/index.ts';
import { tokenMergeGeometry, type Block, type TokenMergeProcess } from '../../ir/index.ts';
import { type KindEmitter, type ProcCode, type SidePort, type SizeLink, loopNest, SIZES_IN, SIZES_OUT, sizeStreamOf } from './common.ts';

/**
 * Token merging (src/ir/kinds/token-merge.ts; semantics of src/merge/match.ts, docs/TOKEN-MERGING.md). The four sides
 * share three ping-pong stores (array arguments: HLS makes each a PIPO): the head-summed key metric (keys → match),
 * each row's output slot (match → gather) and the slots' size·x sums with their size sums (gather → emit). Every row
 * adds size·x into its slot (an unmerged row is alone in it), so the emit side's half-up mean
 * floor((2·num + den) / (2·den)) gives merged rows their size-weighted mean and passes the others unchanged. The
 * signal streams carry one token per image, as in the IR's handshake. Token sizes arrive on a size stream when an
 * earlier merge unit made them (else every size is 1) and leave on `sizes_out` when a later attention block reads them.
 */

const METRIC = 'merge_metric_bank';
const PLAN = 'merge_plan_bank';
const NUM = 'merge_num_bank';
const DEN = 'merge_den_bank';

/** |dot|²·norms of two head-summed key rows must fit the 63 bits of the C++ comparison (vp_cos_cmp). */
function checkCosineBits(p: TokenMergeProcess): void {
  const m = p.heads * 2 ** (p.keyBits - 1); // largest |k̄| element
  const dot = p.headDim * m * m;
  if (Math.log2(dot) * 4 >= 63)
    fail('BAD_DESIGN', `token merge ${p.name}: ${p.keyBits}-bit keys summed over ${p.heads} heads of ${p.headDim} channels make cosine products up to 2^${Math.ceil(Math.log2(dot) * 4)}, beyond the 63 bits the generated comparison uses`, `process ${p.name}`);
}

export const tokenMerge: KindEmitter<TokenMergeProcess> = {
  // the signals carry the typedef of the side's first input; the emitted image keeps the residual's
  outFields: (p, _b, inFields) => p.outputs.map(() => inFields[0]),
  emit(p, ctx): ProcCode {
    const g = tokenMergeGeometry(p);
    const { tp, headDim: D, width: W, tokensIn: T } = p;
    const metric = { name: METRIC, elem: 'vp_i64', size: g.slotsIn * D };
    const plan = { name: PLAN, elem: 'int', size: g.slotsIn };
    const num = { name: NUM, elem: 'vp_i64', size: g.slotsOut * W };
    const den = { name: DEN, elem: 'vp_i64', size: g.slotsOut };
    const signal = (w: { line(s: string): unknown }, out: string) => {
      w.line(`${ctx.outs[0].beat} tok;`);
      w.line('tok.d[0] = 0;');
      w.line(`${out}.write(tok);`);
    };
    if (p.side === 'keys')
      return {
        summary: `sums the ${p.heads} heads' quantized keys into the metric k̄[t][d] (${g.slotsIn} token slots × ${D}), ${tp}×${p.cpKey} per beat`,
        inNames: ['in'],
        outNames: ['metric'],
        arrays: [metric],
        body(w) {
          loopNest(w, [['tt', g.slotsIn / tp], ['ct', W / p.cpKey]], () => {
            w.line(`${ctx.ins[0].beat} b = in.read();`);
            w.block(`for (int p = 0; p < ${tp}; p++)`, () => w.block(`for (int c = 0; c < ${p.cpKey}; c++)`, () => {
              w.line(`int t = tt * ${tp} + p, ch = ct * ${p.cpKey} + c;`);
              w.line(`${METRIC}[t * ${D} + ch % ${D}] = (ch < ${D} ? 0 : ${METRIC}[t * ${D} + ch % ${D}]) + (vp_i64)b.d[p * ${p.cpKey} + c];`);
            }));
          });
          signal(w, 'metric');
        },
      };
    if (p.side === 'match') {
      checkCosineBits(p);
      return {
        summary: `bipartite matching of ${T} tokens: each of the ${g.setA} A rows (even, not CLS) takes the B row (odd) of highest cosine (exact comparison, ties to the lower row); the ${p.merged} best merge; every row's output slot (unmerged A rows, then B rows)`,
        inNames: ['metric'],
        outNames: ['plan'],
        arrays: [metric, plan],
        body(w) {
          w.line(`${ctx.ins[0].beat} m = metric.read();`);
          w.line('(void)m;');
          w.line(`vp_i64 norm[${T}];`);
          w.block(`for (int t = 0; t < ${T}; t++)`, () => {
            w.line('vp_i64 s = 0;');
            w.line(`for (int d = 0; d < ${D}; d++) s += ${METRIC}[t * ${D} + d] * ${METRIC}[t * ${D} + d];`);
            w.line('norm[t] = s;');
          });
          w.line(`int part[${g.setA}];`);
          w.line(`vp_i64 pdot[${g.setA}], pnorms[${g.setA}];`);
          w.line('// similarity: A row a = 2i + 2 against every B row b = 2j + 1');
          w.block(`for (int i = 0; i < ${g.setA}; i++)`, () => {
            w.block(`for (int j = 0; j < ${g.setB}; j++)`, () => {
              w.pragma('PIPELINE II=1');
              w.line('int a = 2 * i + 2, b = 2 * j + 1;');
              w.line('vp_i64 dot = 0;');
              w.line(`for (int d = 0; d < ${D}; d++) dot += ${METRIC}[a * ${D} + d] * ${METRIC}[b * ${D} + d];`);
              w.line('vp_i64 nn = norm[a] * norm[b];');
              w.line('if (j == 0 || vp_cos_cmp(dot, nn, pdot[i], pnorms[i]) > 0) { part[i] = b; pdot[i] = dot; pnorms[i] = nn; }');
            });
          });
          w.line('// rank: an A row merges when fewer than r rows beat it (higher cosine, or equal and a lower row)');
          w.line(`bool gone[${T}];`);
          w.line(`for (int t = 0; t < ${T}; t++) gone[t] = false;`);
          w.block(`for (int i = 0; i < ${g.setA}; i++)`, () => {
            w.line('int rank = 0;');
            w.block(`for (int j = 0; j < ${g.setA}; j++)`, () => {
              w.pragma('PIPELINE II=1');
              w.line('int c = vp_cos_cmp(pdot[j], pnorms[j], pdot[i], pnorms[i]);');
              w.line('if (c > 0 || (c == 0 && j < i)) rank++;');
            });
            w.line(`gone[2 * i + 2] = rank < ${p.merged};`);
          });
          w.line('// output order: the unmerged A rows (CLS first), then every B row; a merged A row goes to its partner\'s slot');
          w.line('int next = 0;');
          w.line(`for (int a = 0; a < ${T}; a += 2) ${PLAN}[a] = gone[a] ? -1 : next++;`);
          w.line(`for (int b = 1; b < ${T}; b += 2) ${PLAN}[b] = next++;`);
          w.line(`for (int i = 0; i < ${g.setA}; i++) if (gone[2 * i + 2]) ${PLAN}[2 * i + 2] = ${PLAN}[part[i]];`);
          if (g.slotsIn > T) w.line(`for (int t = ${T}; t < ${g.slotsIn}; t++) ${PLAN}[t] = -1;  // padding slots take no part`);
          signal(w, 'plan');
        },
      };
    }
    const sized = ctx.sizes?.in === true;
    if (p.side === 'gather') {
      const sides: SidePort[] = sized ? [{ name: 'sizes', dir: 'in', stream: sizeStreamOf(p) }] : [];
      return {
        summary: `adds size·x of every row into its output slot (${g.slotsOut} slots) and the sizes into the slot's size sum; sizes ${sized ? 'from the previous merge unit' : 'all 1'}`,
        inNames: ['in', 'plan'],
        outNames: ['claim', 'ready'],
        arrays: [plan, num, den],
        sides,
        body(w) {
          w.line(`${ctx.outs[0].beat} tok;`);
          w.line('tok.d[0] = 0;');
          w.line(`${ctx.ins[1].beat} pl = plan.read();`);
          w.line('(void)pl;');
          w.line(`vp_i64 sz[${T}];`);
          w.line(`for (int t = 0; t < ${T}; t++) sz[t] = ${sized ? 'sizes.read().d[0]' : '1'};`);
          w.line(`for (int s = 0; s < ${g.slotsOut}; s++) ${DEN}[s] = 0;`);
          w.line(`for (int i = 0; i < ${g.slotsOut * W}; i++) ${NUM}[i] = 0;`);
          w.line(`for (int t = 0; t < ${T}; t++) ${DEN}[${PLAN}[t]] += sz[t];`);
          loopNest(w, [['tt', g.slotsIn / tp], ['ct', W / p.cpIn]], () => {
            w.line('if (tt == 0 && ct == 0) claim.write(tok);');
            w.line(`${ctx.ins[0].beat} b = in.read();`);
            w.block(`for (int p = 0; p < ${tp}; p++)`, () => w.block(`for (int c = 0; c < ${p.cpIn}; c++)`, () => {
              w.line(`int t = tt * ${tp} + p;`);
              w.line(`if (t < ${T}) ${NUM}[${PLAN}[t] * ${W} + ct * ${p.cpIn} + c] += sz[t] * (vp_i64)b.d[p * ${p.cpIn} + c];`);
            }));
          });
          w.line('ready.write(tok);');
        },
      };
    }
    const sendSizes = ctx.sizes?.out === true;
    return {
      summary: `reads the ${p.tokensOut} output tokens (${g.slotsOut} slots) out at ${tp}×${p.cpOut} per beat: floor((2·num + den) / (2·den)), the size-weighted mean rounded half up${sendSizes ? '; then their sizes' : ''}`,
      inNames: ['ready', 'claim'],
      outNames: ['out'],
      arrays: [num, den],
      sides: sendSizes ? [{ name: 'sizes', dir: 'out', stream: SIZES_OUT }] : [],
      body(w) {
        w.line(`${ctx.ins[0].beat} r = ready.read();`);
        w.line('(void)r;');
        loopNest(w, [['tt', g.slotsOut / tp], ['ct', W / p.cpOut]], () => {
          w.line(`${ctx.outs[0].beat} o;`);
          w.block(`for (int p = 0; p < ${tp}; p++)`, () => w.block(`for (int c = 0; c < ${p.cpOut}; c++)`, () => {
            w.line(`int s = tt * ${tp} + p;`);
            w.line('vp_i64 q = 0;');
            w.block(`if (s < ${p.tokensOut})`, () => {
              w.line(`vp_i64 n2 = 2 * ${NUM}[s * ${W} + ct * ${p.cpOut} + c] + ${DEN}[s], d2 = 2 * ${DEN}[s];`);
              w.line('q = n2 / d2;');
              w.line('if (n2 % d2 != 0 && n2 < 0) q--;');
            });
            w.line(`o.d[p * ${p.cpOut} + c] = q;`);
          }));
          w.line('out.write(o);');
        });
        if (sendSizes)
          w.block(`for (int s = 0; s < ${p.tokensOut}; s++)`, () => {
            w.line('size_beat z;');
            w.line(`z.d[0] = ${DEN}[s];`);
            w.line('sizes.write(z);');
          });
        w.line(`${ctx.ins[1].beat} release = claim.read();  // the bank is free again`);
        w.line('(void)release;');
      },
    };
  },
};

/**
 * The size link's fan-out in a block that reads sizes (`sizes_in`, `tokens` sizes an image): one copy to every
 * softmax, one to the merge unit's gather side, and one on to `sizes_out` when the block merges nothing but a later
 * attention block needs them. Not an IR process (the size link is the generated C++'s own; SizeLink).
 */
export function sizeFanout(b: Block, link: SizeLink, tokens: number): ProcCode {
  const gather = b.processes.find((p) => p.kind === 'token-merge' && p.side === 'gather');
  const outs = [
    ...b.processes.filter((p) => p.kind === 'softmax').map(sizeStreamOf),
    ...(gather ? [sizeStreamOf(gather)] : []),
    ...(link.out && !gather ? [SIZES_OUT] : []),
  ];
  return {
    summary: `copies the ${tokens} token sizes of an image to ${outs.length} readers (the softmaxes' size bias${gather ? ', the merge unit' : ''}${link.out && !gather ? ', the next attention block' : ''})`,
    inNames: [],
    outNames: [],
    sides: [{ name: 'sizes', dir: 'in', stream: SIZES_IN }, ...outs.map((stream, k) => ({ name: `to${k}`, dir: 'out' as const, stream }))],
    body(w) {
      loopNest(w, [['t', tokens]], () => {
        w.line('size_beat z = sizes.read();');
        for (let k = 0; k < outs.length; k++) w.line(`to${k}.write(z);`);
      });
    },
  };
}
