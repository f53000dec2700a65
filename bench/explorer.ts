/**
 * bench:explorer — the explorer page in headless chromium against the CLI, the same work measured in the same run:
 * time to interactive; plan hgpipe-deit-tiny on the VCK190; simulate 10 images of HG-PIPE's design; classify one
 * photo (ideal and hardware arithmetic). Page times run from the click (or drop) to the figures on screen; CLI
 * times are the command's wall time as a user runs it (process start to exit), with the command's own
 * `wallSeconds` where it reports one. Goal: page ≤ 1.5× the CLI.
 *   npm run bench:explorer [-- --repeat 2]
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dropFiles, launchChromium, openExplorer, settled, startExplorer } from '../test-e2e/harness.ts';
import { runOne } from '../src/engine/index.ts';
import type { ArithMode } from '../src/ops/index.ts';
import { argValue, IMAGENET_SAMPLE, peakMemoryMiB, REFS_DIR } from './common.ts';

const run = promisify(execFile);
const repeat = Number(argValue('--repeat') ?? 1);
const PHOTO = join(IMAGENET_SAMPLE, 'n01440764_tench.JPEG');
const SECOND = join(IMAGENET_SAMPLE, 'n01443537_goldfish.JPEG');
const haveShared = existsSync(REFS_DIR) && existsSync(PHOTO) && existsSync(SECOND);

async function cli(...args: string[]): Promise<{ seconds: number; doc: { wallSeconds?: number } }> {
  const t0 = performance.now();
  const r = await run(process.execPath, ['bin/vitpipe.js', ...args, '--json'], { maxBuffer: 1 << 28 });
  return { seconds: (performance.now() - t0) / 1000, doc: JSON.parse(r.stdout) };
}
const best = <T extends { seconds: number }>(xs: T[]) => xs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
async function times<T extends { seconds: number }>(f: () => Promise<T>): Promise<T> {
  const xs: T[] = [];
  for (let i = 0; i < repeat; i++) xs.push(await f());
  return best(xs);
}

const launched = await launchChromium();
if ('reason' in launched) {
  console.log(`bench:explorer: skipped — ${launched.reason}`);
  process.exit(0);
}
const { browser } = launched;
const load0 = loadavg()[0];
const server = await startExplorer(haveShared ? ['--weights', REFS_DIR] : []);
const rows: Array<[string, number, number | null, string]> = [];
try {
  // Time to interactive: navigation to the page's ready mark (a fresh page each time; the build is already current).
  const tti = await times(async () => {
    const t0 = performance.now();
    const p = await openExplorer(browser, server.url);
    const seconds = (performance.now() - t0) / 1000;
    await p.close();
    return { seconds };
  });
  const page = await openExplorer(browser, server.url);
  rows.push(['time to interactive', tti.seconds, null, 'page load to the views ready']);

  const pagePlan = await times(async () => {
    const t0 = performance.now();
    await page.click('#plan-run');
    await settled(page, '#plan-status');
    await page.waitForSelector('#plan-results [data-k="steadyInterval"]');
    return { seconds: (performance.now() - t0) / 1000 };
  });
  const cliPlan = await times(() => cli('plan', '--model', 'hgpipe-deit-tiny', '--device', 'vck190'));
  rows.push(['plan hgpipe-deit-tiny on vck190', pagePlan.seconds, cliPlan.seconds, `CLI reports ${cliPlan.doc.wallSeconds} s of work (page/that ${(pagePlan.seconds / cliPlan.doc.wallSeconds!).toFixed(2)}×)`]);

  await page.click('#tab-sim');
  await page.fill('#sim-images', '10');
  const pageSim = await times(async () => {
    const t0 = performance.now();
    await page.click('#sim-run');
    await settled(page, '#sim-status');
    await page.waitForSelector('#sim-per-image [data-k="image9.firstInLastOut"]');
    const seconds = (performance.now() - t0) / 1000;
    // The timeline run that follows is not part of the CLI's `simulate --json`; let it finish outside the timing.
    await page.waitForSelector('#sim-timeline svg', { timeout: 600_000 }).catch(() => undefined);
    return { seconds };
  });
  const cliSim = await times(() => cli('simulate', '--design', 'hgpipe-deit-tiny', '--images', '10'));
  rows.push(['simulate 10 images (HG-PIPE)', pageSim.seconds, cliSim.seconds, `CLI reports ${cliSim.doc.wallSeconds} s of work (page/that ${(pageSim.seconds / cliSim.doc.wallSeconds!).toFixed(2)}×)`]);

  if (haveShared) {
    await page.click('#tab-classify');
    // The first photo also loads the weights into the page's worker (once per page).
    const first = performance.now();
    await dropFiles(page, '#classify-drop', [{ name: 'first.JPEG', bytes: readFileSync(SECOND), type: 'image/jpeg' }]);
    await page.waitForSelector('article.photo[data-file="first.JPEG"] [data-k="ideal.4.logit"]', { timeout: 300_000 });
    const firstSeconds = (performance.now() - first) / 1000;
    let n = 0;
    const pageOne = await times(async () => {
      const name = `photo${n++}.JPEG`;
      const t0 = performance.now();
      await dropFiles(page, '#classify-drop', [{ name, bytes: readFileSync(PHOTO), type: 'image/jpeg' }]);
      await page.waitForSelector(`article.photo[data-file="${name}"] [data-k="hardware.4.logit"]`, { timeout: 300_000 });
      return { seconds: (performance.now() - t0) / 1000 };
    });
    const cliIdeal = await times(() => cli('infer', '--weights', REFS_DIR, '--image', PHOTO, '--mode', 'ideal', '--threads', '1'));
    const cliHw = await times(() => cli('infer', '--weights', REFS_DIR, '--image', PHOTO, '--mode', 'hardware', '--threads', '1'));
    const cliBoth = cliIdeal.seconds + cliHw.seconds;
    // The CLI's own code in this Node process, weights already loaded (its work without process start and loading).
    const req = { weightsDir: REFS_DIR, modes: ['ideal', 'hardware'] as ArithMode[] };
    await runOne({ kind: 'image', file: PHOTO }, req);
    const warm = await times(async () => {
      const t0 = performance.now();
      await runOne({ kind: 'image', file: PHOTO }, req);
      return { seconds: (performance.now() - t0) / 1000 };
    });
    rows.push(['classify 1 photo, ideal + hardware', pageOne.seconds, cliBoth, `CLI: infer --mode ideal ${cliIdeal.seconds.toFixed(2)} s + --mode hardware ${cliHw.seconds.toFixed(2)} s; the same code in Node with the weights loaded: ${warm.seconds.toFixed(2)} s (page/that ${(pageOne.seconds / warm.seconds).toFixed(2)}×)`]);
    rows.push(['  first photo (loads the weights)', firstSeconds, null, 'page only: fetch + parse 442 refs files once']);
  } else {
    console.log(`classify: skipped — needs ${REFS_DIR} and ${IMAGENET_SAMPLE} (set VITPIPE_SHARED)`);
  }
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const heap = await cdp.send('Performance.getMetrics');
  const used = heap.metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
  console.log(`vitpipe explorer vs CLI (best of ${repeat}; load average ${load0.toFixed(2)} at start, ${loadavg()[0].toFixed(2)} at end, ${availableParallelism()} cores)`);
  console.log(`${'work'.padEnd(38)}${'page s'.padStart(9)}${'CLI s'.padStart(9)}${'page/CLI'.padStart(10)}  note`);
  for (const [what, p, c, note] of rows)
    console.log(`${what.padEnd(38)}${p.toFixed(2).padStart(9)}${(c === null ? '—' : c.toFixed(2)).padStart(9)}${(c === null ? '—' : `${(p / c).toFixed(2)}×`).padStart(10)}  ${note}`);
  console.log(`peak memory: bench process ${peakMemoryMiB().toFixed(0)} MiB; page main thread JS heap ${(used / 1024 / 1024).toFixed(0)} MiB (workers not included)`);
} finally {
  await browser.close();
  await server.stop();
}
