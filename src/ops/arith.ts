import { fitsType, typeName, wrapToType, type IntType } from '../num/index.ts';

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
 * The arithmetic context an operator runs in. `fit` is the typed assignment; in ideal mode it is the identity, so the
 * hot paths pay one predictable call.
 */
export interface Arith {
  readonly mode: ArithMode;
  readonly block: string;
  fit(value: number, field: string, operator: string, element: number): number;
  /** In-place typed assignment of a whole tensor. */
  fitAll(values: Int32Array | Float64Array, field: string, operator: string): void;
}

export const IDEAL: Arith = {
  mode: 'ideal',
  block: '',
  fit: (v) => v,
  fitAll: () => {},
};

export function idealArith(block: string): Arith {
  return { ...IDEAL, block };
}

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
  const typeOf = (field: string): IntType => {
    const t = types[field];
    if (!t) throw new Error(`block ${block} declares no type ${field}`);
    return t;
  };
  const fit = (value: number, field: string, operator: string, element: number): number => {
    const t = typeOf(field);
    if (fitsType(value, t)) return value;
    const wrapped = wrapToType(value, t);
    log.add({ block, operator, field, element, value, wrapped, type: typeName(t) });
    return wrapped;
  };
  return {
    mode: 'hardware',
    block,
    fit,
    fitAll(values, field, operator) {
      const t = typeOf(field);
      const lo = t.signed ? -(2 ** (t.bits - 1)) : 0;
      const hi = t.signed ? 2 ** (t.bits - 1) - 1 : 2 ** t.bits - 1;
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (v < lo || v > hi) values[i] = fit(v, field, operator, i);
      }
    },
  };
}
