import cliProgress from 'cli-progress';

/** A progress bar on stderr, shown only on a terminal and never under --json (stdout stays machine-readable). */
export interface Progress {
  update(done: number, detail?: string): void;
  stop(): void;
}

export function startProgress(label: string, total: number, enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY || total < 2) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {value}/{total} | {percentage}% | eta {eta_formatted} | {detail}`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { detail: '' });
  return {
    update: (done, detail = '') => bar.update(done, { detail }),
    stop: () => bar.stop(),
  };
}
