import { bitsNeeded } from '../num/index.ts';
import type { WrapTally } from '../ops/index.ts';
import type { RunResult } from './session.ts';
import { topK } from './network.ts';

/** One overflowing field over many images, and the width that would have held every value seen. */
export interface FieldAudit {
  block: string;
  operator: string;
  field: string;
  declared: string;
  events: number;
  images: number;
  min: number;
  max: number;
  /** Narrowest type of the declared signedness that holds every value seen (including the declared range). */
  enough: string;
}

export interface AuditSummary {
  images: number;
  imagesWithWraps: number;
  totalEvents: number;
  /** Images whose hardware top-1 differs from the ideal top-1. */
  top1Disagreements: { file: string; ideal: number; hardware: number }[];
  fields: FieldAudit[];
}

/** Summarise hardware-mode wraps over results that ran both modes. */
export function summariseAudit(results: RunResult[]): AuditSummary {
  const fields = new Map<string, FieldAudit>();
  const top1Disagreements: AuditSummary['top1Disagreements'] = [];
  let imagesWithWraps = 0;
  let totalEvents = 0;
  for (const r of results) {
    if (r.wrapCount > 0) imagesWithWraps++;
    totalEvents += r.wrapCount;
    for (const t of r.wrapTallies) merge(fields, t);
    const ideal = r.logits.ideal && topK(r.logits.ideal, 1)[0].class;
    const hardware = r.logits.hardware && topK(r.logits.hardware, 1)[0].class;
    if (ideal !== undefined && hardware !== undefined && ideal !== hardware) top1Disagreements.push({ file: r.file, ideal, hardware });
  }
  const sorted = [...fields.values()].sort((a, b) => b.images - a.images || b.events - a.events);
  return { images: results.length, imagesWithWraps, totalEvents, top1Disagreements, fields: sorted };
}

function merge(fields: Map<string, FieldAudit>, t: WrapTally): void {
  const key = `${t.block}/${t.operator}/${t.field}`;
  let f = fields.get(key);
  if (!f) {
    f = { block: t.block, operator: t.operator, field: t.field, declared: t.type, events: 0, images: 0, min: t.min, max: t.max, enough: '' };
    fields.set(key, f);
  }
  f.events += t.count;
  f.images++;
  f.min = Math.min(f.min, t.min);
  f.max = Math.max(f.max, t.max);
  const signed = t.type.startsWith('s');
  const declaredBits = Number(t.type.slice(1));
  // An unsigned field that saw negative values needs a sign bit: report it as a signed width.
  const needSigned = signed || f.min < 0;
  const keepRange = needSigned && !signed ? declaredBits + 1 : declaredBits;
  const bits = Math.max(keepRange, bitsNeeded(f.min, needSigned), bitsNeeded(f.max, needSigned));
  f.enough = `${needSigned ? 's' : 'u'}${bits}`;
}
