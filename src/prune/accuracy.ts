/** Top-1 / top-5 of pruning settings over labelled photos, with 95 % Wilson intervals. */
import { classOfFile } from '../image/index.ts';
import { fail } from '../diag/index.ts';
import type { PruneSetting } from './config.ts';
import type { PruneRunResult } from './run.ts';

export interface Proportion {
  hits: number;
  n: number;
  percent: number;
  /** 95 % Wilson score interval, in percent. */
  ci95: [number, number];
}

export interface AccuracyRow {
  setting: string;
  top1: Proportion;
  top5: Proportion;
  /** Photos whose top-1 class equals the first setting's (normally the unpruned model's). */
  agreesWithFirst: Proportion;
}

/** 95 % Wilson score interval of a proportion, in percent. */
export function wilson95(successes: number, n: number): [number, number] {
  if (n === 0) return [0, 100];
  const z = 1.959964;
  const p = successes / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return [100 * Math.max(0, centre - half), 100 * Math.min(1, centre + half)];
}

export function proportion(hits: number, n: number): Proportion {
  return { hits, n, percent: n ? (100 * hits) / n : 0, ci95: wilson95(hits, n) };
}

/**
 * Aggregate per-photo predictions (labels from the ImageNet file names) into one row per setting; agreement is with
 * the first setting's top-1, or with `reference` (top-1 class per photo, by file) when given.
 */
export function accuracyRows(settings: PruneSetting[], results: PruneRunResult[], reference?: Map<string, number>): AccuracyRow[] {
  const labels = results.map((r) => classOfFile(r.file) ?? fail('BAD_ARGUMENT', 'file name does not start with an ImageNet WordNet id', r.file));
  return settings.map((s, k) => {
    let t1 = 0;
    let t5 = 0;
    let agree = 0;
    results.forEach((r, i) => {
      const p = r.predictions[k].top5;
      t1 += +(p[0] === labels[i]);
      t5 += +p.includes(labels[i]);
      agree += +(p[0] === (reference ? reference.get(r.file) : r.predictions[0].top5[0]));
    });
    const n = results.length;
    return { setting: s.name, top1: proportion(t1, n), top5: proportion(t5, n), agreesWithFirst: proportion(agree, n) };
  });
}
