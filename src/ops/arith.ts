import { fail } from '../diag/index.ts';
import { fitsType, typeMax, typeMin, typeName, wrapToType, type IntType } from '../num/index.ts';

/**
 * Arithmetic mode. `ideal` keeps every intermediate exact (unbounded integers): it defines the golden refs.
 * `hardware` performs every typed assignment of HG-PIPE's shipped HLS sources (SPEC §1.9b): the full-precision value
 * is wrapped, two's complement, to the width the block declares, and each wrap is recorded as an event.
 */
export type ArithMode = 'ideal' | 'hardware';

/** One typed assignment whose full-precision value did not fit its declared type. */
export interface WrapEvent {
  block: string;
  operator: string;
  /** The HLS typedef assigned to, e.g. `__kq_cursor_t`. */
  field: string;
  /** Flat index of the element within the operator's natural tensor (documented per operator). */
  element: number;
  value: number;
  wrapped: number;
  type: string;
}

/** Integer widths of one block: HLS typedef name → type. */
export type BlockTypes = Readonly<Record<string, IntType>>;

/**
 * One typed assignment target, resolved once per operator call: values inside [lo, hi] are stored as they are; any
 * other value goes through `wrap`, which applies the two's-complement wrap and records the event. Hot loops test
 * the range inline, so the common case costs two comparisons; in ideal mode the range is unbounded.
 */
export interface Fitter {
  readonly lo: number;
  readonly hi: number;
  wrap(value: number, element: number): number;
}

/** The arithmetic context an operator runs in. */
export interface Arith {
  readonly mode: ArithMode;
  readonly block: string;
  /** The fitter for assignments into the block's typedef `field` by `operator`. */
  fitter(field: string, operator: string): Fitter;
  /** In-place typed assignment of a whole tensor (element index = flat index). */
  fitAll(values: Int32Array | Float64Array, field: string, operator: string): void;
}

const UNBOUNDED: Fitter = { lo: -Infinity, hi: Infinity, wrap: (v) => v };

export function idealArith(block: string): Arith {
  return { mode: 'ideal', block, fitter: () => UNBOUNDED, fitAll: () => {} };
}

export const IDEAL: Arith = idealArith('');

/** All wrap events of one typed field of one operator in one block: how many and the full-precision range. */
export interface WrapTally {
  block: string;
  operator: string;
  field: string;
  type: string;
  count: number;
  min: number;
  max: number;
}

/** Wrap events of a run: the first `limit` are kept in full; `total` and the per-field tallies count them all. */
export class WrapLog {
  readonly events: WrapEvent[] = [];
  readonly tallies = new Map<string, WrapTally>();
  total = 0;
  constructor(readonly limit = 100_000) {}
  add(e: WrapEvent): void {
    this.total++;
    if (this.events.length < this.limit) this.events.push(e);
    const key = `${e.block}/${e.operator}/${e.field}`;
    const t = this.tallies.get(key);
    if (t) {
      t.count++;
      if (e.value < t.min) t.min = e.value;
      if (e.value > t.max) t.max = e.value;
    } else {
      this.tallies.set(key, { block: e.block, operator: e.operator, field: e.field, type: e.type, count: 1, min: e.value, max: e.value });
    }
  }
}

/** Hardware arithmetic for one block; wrap events go to `log`. */
export function hardwareArith(block: string, types: BlockTypes, log: WrapLog): Arith {
  const fitter = (field: string, operator: string): Fitter => {
    const t = types[field];
    if (!t)
      fail('BAD_ARGUMENT', `block ${block} has no width for ${field}, which its ${operator} assigns`, 'hardware types', 'the hardware-types file must give every field of every block (vitpipe quantize writes complete ones)');
    const type = typeName(t);
    return {
      lo: typeMin(t),
      hi: typeMax(t),
      wrap(value, element) {
        if (fitsType(value, t)) return value;
        const wrapped = wrapToType(value, t);
        log.add({ block, operator, field, element, value, wrapped, type });
        return wrapped;
      },
    };
  };
  return {
    mode: 'hardware',
    block,
    fitter,
    fitAll(values, field, operator) {
      const f = fitter(field, operator);
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (v < f.lo || v > f.hi) values[i] = f.wrap(v, i);
      }
    },
  };
}
