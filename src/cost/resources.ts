/**
 * Resource vectors. BRAM is in 36-Kb equivalents (an 18-Kb half counts 0.5); URAM in 288-Kb blocks; LUT includes
 * LUTs used as distributed RAM and shift registers, as Vivado's "CLB LUTs" row does.
 */
export interface Resources {
  lut: number;
  ff: number;
  dsp: number;
  bram: number;
  uram: number;
}

export const RESOURCE_KEYS = ['lut', 'ff', 'dsp', 'bram', 'uram'] as const;
export type ResourceKey = (typeof RESOURCE_KEYS)[number];

/** How reports and errors name each resource (BRAM in 36-Kb equivalents). */
export const RESOURCE_LABELS: Record<ResourceKey, string> = { lut: 'LUT', ff: 'FF', dsp: 'DSP', bram: 'BRAM36', uram: 'URAM' };

/** Normalised size of a resource vector on a device: the sum of the shares of each resource. */
export function sizeOn(r: Resources, cap: Resources): number {
  let s = 0;
  for (const k of RESOURCE_KEYS) s += cap[k] > 0 ? r[k] / cap[k] : r[k] > 0 ? 1e6 : 0;
  return s;
}

export const ZERO: Resources = Object.freeze({ lut: 0, ff: 0, dsp: 0, bram: 0, uram: 0 });

export function res(p: Partial<Resources>): Resources {
  return { ...ZERO, ...p };
}

export function add(...rs: Resources[]): Resources {
  const out = { ...ZERO };
  for (const r of rs) for (const k of RESOURCE_KEYS) out[k] += r[k];
  return out;
}

export function scale(r: Resources, k: number): Resources {
  return { lut: r.lut * k, ff: r.ff * k, dsp: r.dsp * k, bram: r.bram * k, uram: r.uram * k };
}

/** Whole LUT/FF/DSP, BRAM to the half block (18 Kb), URAM whole. */
export function rounded(r: Resources): Resources {
  return {
    lut: Math.round(r.lut),
    ff: Math.round(r.ff),
    dsp: Math.round(r.dsp),
    bram: Math.ceil(r.bram * 2 - 1e-9) / 2,
    uram: Math.ceil(r.uram - 1e-9),
  };
}

/** The first resource that exceeds the capacity, by the largest ratio, or undefined when everything fits. */
export function worstOverflow(r: Resources, cap: Resources): { key: ResourceKey; ratio: number } | undefined {
  let worst: { key: ResourceKey; ratio: number } | undefined;
  for (const k of RESOURCE_KEYS) {
    const ratio = cap[k] > 0 ? r[k] / cap[k] : r[k] > 0 ? Infinity : 0;
    if (ratio > 1 && (!worst || ratio > worst.ratio)) worst = { key: k, ratio };
  }
  return worst;
}

export function fitsIn(r: Resources, cap: Resources, utilisation = 1): boolean {
  return RESOURCE_KEYS.every((k) => r[k] <= cap[k] * utilisation + 1e-9);
}
