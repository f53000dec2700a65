/**
 * Whole-process engine timing against the numpy peer, as users run them: `vitpipe infer --json` on the first N photos
 * of imagenet-sample (by file name), in ideal and in hardware mode, against the independent numpy implementation of
 * the same integer model (../shared/peers/numpy-golden, Debian python3 + numpy + Pillow + OpenBLAS, 2 processes),
 * alternating in the same minutes; medians of the rounds. Start-up (TypeScript loading, weights, worker threads) and
 * JPEG decoding are included on both sides.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { listImages } from '../src/image/index.ts';
import { REFS_DIR, SHARED_DIR } from './common.ts';

const PYTHON = '/usr/bin/python3';
const PEER = join(SHARED_DIR, 'peers', 'numpy-golden', 'hgpipe_golden.py');
const TIME = '/usr/bin/time';

/** Why the peer cannot run here, or undefined when it can. */
export function peerMissing(): string | undefined {
  if (!existsSync(PEER)) return `no peer at ${PEER}`;
  if (!existsSync(PYTHON)) return `no ${PYTHON}`;
  const r = spawnSync(PYTHON, ['-c', 'import numpy, PIL'], { encoding: 'utf8' });
  if (r.status !== 0) return `${PYTHON} lacks numpy or Pillow (apt-get install -y python3-numpy python3-pil libopenblas0-pthread)`;
  return undefined;
}

interface Run {
  seconds: number;
  /** CPU seconds (user + system) of the process and its children (when /usr/bin/time is there). */
  cpu?: number;
  /** Peak resident memory of the process tree's largest process, MiB (when /usr/bin/time is there). */
  peakMiB?: number;
}

/** Run a command, timing it wall-clock; fails loudly when it fails. */
function timed(cmd: string, args: string[]): Run {
  const withTime = existsSync(TIME);
  const t0 = performance.now();
  const r = withTime
    ? spawnSync(TIME, ['-f', '%M %U %S', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 })
    : spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} … exited ${r.status}: ${r.stderr.slice(-500)}`);
  const [kb, user, sys] = withTime ? (r.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number) : [NaN, NaN, NaN];
  return { seconds, peakMiB: Number.isFinite(kb) ? kb / 1024 : undefined, cpu: Number.isFinite(user + sys) ? user + sys : undefined };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export interface WholeProcessResult {
  images: number;
  ideal: Run;
  hardware: Run;
  peer?: Run;
}

/** `rounds` alternating runs of vitpipe ideal, vitpipe hardware and the peer on the first `count` sample photos. */
export function wholeProcess(sampleDir: string, count: number, rounds: number, onRound?: (i: number, r: WholeProcessResult) => void): WholeProcessResult {
  const files = listImages(sampleDir).sort((a, b) => (basename(a) < basename(b) ? -1 : 1)).slice(0, count);
  const missing = peerMissing();
  // The peer takes a folder: the same photos, linked into a temporary one.
  const dir = mkdtempSync(join(tmpdir(), 'vitpipe-bench-'));
  try {
    for (const f of files) symlinkSync(resolve(f), join(dir, basename(f)));
    const cli = resolve('bin/vitpipe.js');
    const infer = (mode: string) => timed(process.execPath, [cli, 'infer', '--weights', REFS_DIR, '--image', ...files, '--mode', mode, '--json']);
    const runs: { ideal: Run[]; hardware: Run[]; peer: Run[] } = { ideal: [], hardware: [], peer: [] };
    const summary = (): WholeProcessResult => {
      const pick = (rs: Run[]) => ({
        seconds: median(rs.map((r) => r.seconds)),
        cpu: rs.every((r) => r.cpu !== undefined) ? median(rs.map((r) => r.cpu!)) : undefined,
        peakMiB: Math.max(...rs.map((r) => r.peakMiB ?? 0)) || undefined,
      });
      return { images: files.length, ideal: pick(runs.ideal), hardware: pick(runs.hardware), ...(runs.peer.length ? { peer: pick(runs.peer) } : {}) };
    };
    for (let i = 0; i < rounds; i++) {
      runs.ideal.push(infer('ideal'));
      runs.hardware.push(infer('hardware'));
      if (!missing) runs.peer.push(timed(PYTHON, [PEER, 'eval', REFS_DIR, '--sample-dir', dir, '--jobs', '2']));
      onRound?.(i, summary());
    }
    return summary();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
