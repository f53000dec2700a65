import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Shared data for benchmarks: ../shared (or $VITPIPE_SHARED); a benchmark without it says so and exits 0. */
export const SHARED_DIR = resolve(process.env.VITPIPE_SHARED ?? '../shared');
export const REFS_DIR = join(SHARED_DIR, 'hgpipe', 'refs');
export const IMAGENET_SAMPLE = join(SHARED_DIR, 'imagenet-sample');

export function requireShared(what: string): void {
  if (!existsSync(REFS_DIR) || !existsSync(IMAGENET_SAMPLE)) {
    console.log(`${what}: skipped — needs HG-PIPE refs and imagenet-sample under ${SHARED_DIR} (set VITPIPE_SHARED)`);
    process.exit(0);
  }
}

/** Peak resident memory of this process (worker threads included), in MiB. */
export function peakMemoryMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Value of `--name <v>` on the command line. */
export function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** 95 % Wilson score interval of a proportion, in percent. */
export function wilson95(successes: number, n: number): [number, number] {
  const z = 1.959964;
  const p = successes / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return [100 * (centre - half), 100 * (centre + half)];
}
