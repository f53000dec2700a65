/** One row per setting: accuracy with intervals, the planned design's throughput, and the target check. */
import type { AccuracyRow, Proportion } from './accuracy.ts';
import type { PipelinePoint } from './pipeline.ts';
import type { Resources } from '../cost/index.ts';

export interface SweepRow {
  setting: string;
  top1: Proportion;
  top5: Proportion;
  /** Share of photos whose top-1 equals the unpruned model's. */
  agreesWithUnpruned: Proportion;
  /** Tokens of the last MLP block (196 unpruned). */
  finalTokens: number;
  analyticInterval: number;
  simulatedInterval: number | null;
  /** Simulated when available, else analytic. */
  imagesPerSecond: number;
  throughputSource: 'simulated' | 'analytic';
  speedup: number;
  top1Loss: number;
  /** ≥ 1.5× the unpruned design's throughput for ≤ 2 points of top-1. */
  meetsTarget: boolean;
  fits: boolean;
  resources: Resources;
  bottleneck: string;
  note: string;
}

export interface SweepTable {
  device: string;
  clockMhz: number;
  images: number;
  rows: SweepRow[];
  /** Settings meeting the target (≥ 1.5× throughput, ≤ 2 points top-1). */
  meetingTarget: string[];
}

export function sweepTable(accuracy: AccuracyRow[], points: PipelinePoint[]): SweepTable {
  const base = points[0];
  const baseIps = (p: PipelinePoint) => p.simulatedImagesPerSecond ?? p.analyticImagesPerSecond;
  const rows = accuracy.map((a, k): SweepRow => {
    const p = points[k];
    const ips = baseIps(p);
    const speedup = ips / baseIps(base);
    const top1Loss = accuracy[0].top1.percent - a.top1.percent;
    return {
      setting: a.setting,
      top1: a.top1,
      top5: a.top5,
      agreesWithUnpruned: a.agreesWithFirst,
      finalTokens: p.tokens.mlp[p.tokens.mlp.length - 1],
      analyticInterval: p.analyticInterval,
      simulatedInterval: p.simulatedInterval,
      imagesPerSecond: ips,
      throughputSource: p.simulatedImagesPerSecond ? 'simulated' : 'analytic',
      speedup,
      top1Loss,
      meetsTarget: speedup >= 1.5 && top1Loss <= 2,
      fits: p.fits,
      resources: p.resources,
      bottleneck: `${p.bottleneck.block} ${p.bottleneck.process}`,
      note: p.simulationNote,
    };
  });
  return {
    device: base.device,
    clockMhz: base.clockMhz,
    images: accuracy[0].top1.n,
    rows,
    meetingTarget: rows.filter((r) => r.meetsTarget).map((r) => r.setting),
  };
}

/** The table as aligned text. */
export function formatSweepTable(t: SweepTable): string {
  const pct = (p: Proportion) => `${p.percent.toFixed(1)} [${p.ci95[0].toFixed(1)}–${p.ci95[1].toFixed(1)}]`;
  const head = ['setting', 'top-1 % [95 % CI]', 'top-5 % [95 % CI]', 'tokens', 'cycles/img', 'images/s', 'speed-up', 'LUT', 'BRAM', 'target'];
  const body = t.rows.map((r) => [
    r.setting,
    pct(r.top1),
    pct(r.top5),
    String(r.finalTokens),
    String(r.simulatedInterval ?? r.analyticInterval) + (r.throughputSource === 'analytic' ? '*' : ''),
    Math.round(r.imagesPerSecond).toLocaleString('en-US'),
    `${r.speedup.toFixed(2)}×`,
    `${Math.round(r.resources.lut / 1000)}k`,
    r.resources.bram.toFixed(0),
    r.meetsTarget ? 'yes' : 'no',
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [
    `${t.images} photos; device ${t.device} at ${t.clockMhz} MHz; cycles: the whole pruned network simulated as one chain, unless marked * (analytic: not simulated, or the chain deadlocked)`,
    line(head),
    ...body.map(line),
    t.meetingTarget.length
      ? `meets ≥ 1.5× throughput for ≤ 2 points top-1: ${t.meetingTarget.join(', ')}`
      : 'no setting reaches ≥ 1.5× the unpruned throughput for ≤ 2 points of top-1',
  ].join('\n');
}
