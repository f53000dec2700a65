import { tokenSelectGeometry, type ScoreTapProcess, type TokenSelectProcess } from '../../ir/index.ts';
import { type KindEmitter, loopNest, passThrough } from './common.ts';

/**
 * Token selection (src/ir/kinds/token-select.ts; semantics of src/prune/tokens.ts): the rank side fills one bank of
 * a ping-pong store (an array argument shared with the emit side: HLS makes it a PIPO), the emit side reads it out.
 * The `claim` / `ready` streams carry one token per image, as in the IR's handshake.
 */

/** The bank shared by a selector's two sides, named after their `ready` stream. */
export const bankName = (p: TokenSelectProcess): string => `${(p.side === 'rank' ? p.outputs[1] : p.inputs[0]).replace(/[^A-Za-z0-9_]/g, '_')}_bank`;

export const tokenSelect: KindEmitter<TokenSelectProcess> = {
  // claim/ready carry the image's typedef (one lane, a token per image); the emitted image keeps it
  outFields: (p, _b, inFields) => p.outputs.map(() => inFields[0]),
  emit(p, ctx) {
    const g = tokenSelectGeometry(p);
    const W = p.width;
    const elem = p.side === 'rank' ? ctx.ins[0].elem : ctx.outs[0].elem;
    const bank = { name: bankName(p), elem, size: g.slotsOut * W };
    if (p.side === 'emit')
      return {
        summary: `reads ${p.tokensOut} selected tokens (${g.slotsOut} slots) out of the bank filled by the rank side, ${p.tp}×${p.cpOut} per beat`,
        inNames: ['ready', 'claim'],
        outNames: ['out'],
        arrays: [bank],
        body(w) {
          w.line(`${ctx.ins[0].beat} r = ready.read();`);
          w.line('(void)r;');
          loopNest(w, [['tt', g.slotsOut / p.tp], ['ct', W / p.cpOut]], () => {
            w.line(`${ctx.outs[0].beat} o;`);
            w.line(`for (int p = 0; p < ${p.tp}; p++)`);
            w.line(`  for (int c = 0; c < ${p.cpOut}; c++) o.d[p * ${p.cpOut} + c] = ${bank.name}[(tt * ${p.tp} + p) * ${W} + ct * ${p.cpOut} + c];`);
            w.line('out.write(o);');
          });
          w.line(`${ctx.ins[1].beat} release = claim.read();  // the bank is free again`);
          w.line('(void)release;');
        },
      };
    const H = p.heads;
    const V = g.scoreValues;
    const fusedSlot = p.tokensOut - 1;
    return {
      summary: `ranks the ${p.tokensIn - 1} image tokens by their CLS-row softmax scores summed over ${H} heads (ties to the lower index), keeps ${p.keep}${g.fused ? ' and fuses the rest (score-weighted mean, rounded half up)' : ''} into a bank of ${g.slotsOut} token slots`,
      inNames: ['in', ...Array.from({ length: H }, (_, h) => `score${h}`)],
      outNames: ['claim', 'ready'],
      arrays: [bank],
      body(w) {
        w.line(`${ctx.outs[0].beat} tok;`);
        w.line('tok.d[0] = 0;');
        w.line(`vp_i64 sc[${g.slotsIn}];`);
        w.line(`int slot[${g.slotsIn}];`);
        w.line(`int hist[${V}];`);
        w.line(`for (int v = 0; v < ${V}; v++) hist[v] = 0;`);
        w.line('// CLS-row scores: query 0 is token 0 of the beats of query pair 0');
        loopNest(w, [['i', g.scoreBeats]], () => {
          w.line('if (i == 0) claim.write(tok);');
          for (let h = 0; h < H; h++) w.line(`${ctx.ins[1 + h].beat} s${h} = score${h}.read();`);
          w.block(`for (int c = 0; c < ${p.cpScore}; c++)`, () => {
            w.line(`sc[i * ${p.cpScore} + c] = ${Array.from({ length: H }, (_, h) => `(vp_i64)s${h}.d[c]`).join(' + ')};`);
          });
        });
        w.line('// rank: a histogram of the summed scores gives the threshold; ties at it go to the lower token index');
        w.line(`for (int t = 1; t < ${p.tokensIn}; t++) hist[vp_clamp(sc[t], 0, ${V - 1})]++;`);
        w.line('int above = 0, tau = 0;');
        w.block(`for (int v = ${V - 1}; v >= 0; v--)`, () => {
          w.block(`if (above + hist[v] >= ${p.keep})`, () => w.line('tau = v;').line('break;'));
          w.line('above += hist[v];');
        });
        w.line(`int at_tau = ${p.keep} - above, next = 1;`);
        w.line('slot[0] = 0;');
        w.block(`for (int t = 1; t < ${g.slotsIn}; t++)`, () => {
          w.line(`bool kept = t < ${p.tokensIn} && (sc[t] > tau || (sc[t] == tau && at_tau > 0));`);
          w.line('if (kept && sc[t] == tau) at_tau--;');
          w.line(`slot[t] = kept ? next++ : (t < ${p.tokensIn} ? -1 : -2);`);
        });
        if (g.fused) {
          w.line(`vp_i64 num_w[${W}], num_1[${W}], den_w = 0, den_1 = 0;`);
          w.line(`for (int c = 0; c < ${W}; c++) num_w[c] = num_1[c] = 0;`);
          w.block(`for (int t = 1; t < ${p.tokensIn}; t++)`, () => {
            w.line('if (slot[t] == -1) { den_w += sc[t]; den_1 += 1; }');
          });
        }
        w.line('// the image: kept tokens to their slots, dropped ones into the fused sums');
        loopNest(w, [['tt', g.slotsIn / p.tp], ['ct', W / p.cpIn]], () => {
          w.line(`${ctx.ins[0].beat} b = in.read();`);
          w.block(`for (int p = 0; p < ${p.tp}; p++)`, () => {
            w.line(`int t = tt * ${p.tp} + p;`);
            w.block(`for (int c = 0; c < ${p.cpIn}; c++)`, () => {
              w.line(`int ch = ct * ${p.cpIn} + c;`);
              w.line(`vp_i64 v = (vp_i64)b.d[p * ${p.cpIn} + c];`);
              w.line(`if (slot[t] >= 0) ${bank.name}[slot[t] * ${W} + ch] = v;`);
              if (g.fused) w.line('else if (slot[t] == -1) { num_w[ch] += sc[t] * v; num_1[ch] += v; }');
            });
          });
        });
        if (g.fused || g.slotsOut > p.tokensOut) {
          w.line(`// the fused token f = floor((2·num + den) / (2·den)); score weights, or the plain mean when they sum to 0${g.slotsOut > p.tokensOut ? '; the padding slot is zeros' : ''}`);
          loopNest(w, [['c', W]], () => {
            if (g.fused) {
              w.line('bool plain = den_w <= 0;');
              w.line('vp_i64 n2 = 2 * (plain ? num_1[c] : num_w[c]) + (plain ? den_1 : den_w), d2 = 2 * (plain ? den_1 : den_w);');
              w.line('vp_i64 q = n2 / d2;');
              w.line('if (n2 % d2 != 0 && n2 < 0) q--;');
              w.line(`${bank.name}[${fusedSlot} * ${W} + c] = q;`);
            }
            for (let s = p.tokensOut; s < g.slotsOut; s++) w.line(`${bank.name}[${s} * ${W} + c] = 0;`);
          });
        }
        w.line('ready.write(tok);');
      },
    };
  },
};

export const scoreTap: KindEmitter<ScoreTapProcess> = {
  outFields: passThrough,
  emit: (p, ctx) => ({
    summary: p.tapBeats === p.beats ? `forwards all ${p.beats} beats and copies each to the merge unit's key side` : `forwards all ${p.beats} beats and copies the first ${p.tapBeats} (query pair 0: the CLS row) to the token selector`,
    inNames: ['in'],
    outNames: ['out', 'tap'],
    body(w) {
      loopNest(w, [['i', p.beats]], () => {
        w.line(`${ctx.ins[0].beat} b = in.read();`);
        w.line('out.write(b);');
        w.line(`if (i < ${p.tapBeats}) tap.write(b);`);
      });
    },
  }),
};
