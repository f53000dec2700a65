/** Worker and coordinator processes for the queue tests and benchmarks, run as a user would (`node bin/vitpipe.js`). */
import { spawn, type ChildProcess } from 'node:child_process';

export interface CliProcess {
  proc: ChildProcess;
  /** Lines printed on stdout so far. */
  lines: string[];
  /** Resolves with the first stdout line (past or future) matching `re`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

export function startCli(args: string[]): CliProcess {
  const proc = spawn(process.execPath, ['bin/vitpipe.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stdout = '';
  let stderr = '';
  let partial = '';
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  proc.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    partial += d.toString();
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const w of [...waiters]) if (w.re.test(line)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(line));
    }
  });
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    proc.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return {
    proc,
    lines,
    done,
    waitFor(re, timeoutMs = 60_000) {
      const hit = lines.find((l) => re.test(l));
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no line matching ${re} within ${timeoutMs} ms; stdout so far:\n${lines.join('\n')}\nstderr:\n${stderr}`)), timeoutMs);
        waiters.push({ re, resolve: (l) => (clearTimeout(t), resolve(l)) });
        void done.then(() => reject(new Error(`process exited before printing ${re}; stderr:\n${stderr}`)));
      });
    },
  };
}

/** A worker process, once it says it is ready. */
export async function startWorkerProcess(url: string, extra: string[] = []): Promise<CliProcess> {
  const w = startCli(['worker', '--queue', url, '--threads', '1', ...extra]);
  await w.waitFor(/ready:/);
  return w;
}

/** Stop a process gently (SIGTERM) and wait for it; SIGKILL after a grace period. */
export async function stopProcess(p: CliProcess, graceMs = 15_000): Promise<void> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  p.proc.kill('SIGTERM');
  const t = setTimeout(() => p.proc.kill('SIGKILL'), graceMs);
  await p.done;
  clearTimeout(t);
}
