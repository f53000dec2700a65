/**
 * Shared by the end-to-end test and bench:explorer: start `vitpipe explore` on a free loopback port, start Debian's
 * chromium through playwright-core (never a downloaded browser), and read figures off the page.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';

/** Where Debian's `chromium` package (and a few other distributions) put the browser; VITPIPE_CHROMIUM overrides. */
const CANDIDATES = [process.env.VITPIPE_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium'].filter((p): p is string => !!p);

export function findChromium(): string | null {
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/** Headless chromium, or the reason it cannot start (the test then skips saying so). */
export async function launchChromium(): Promise<{ browser: Browser } | { reason: string }> {
  const executablePath = findChromium();
  if (!executablePath) return { reason: `no chromium found (looked at ${CANDIDATES.join(', ')}); install it with apt-get install -y chromium` };
  try {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'] });
    return { browser };
  } catch (e) {
    return { reason: `chromium at ${executablePath} did not start: ${(e as Error).message.split('\n')[0]}` };
  }
}

export interface Explorer {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
  log(): string;
}

/** `vitpipe explore --port 0` as a user runs it; resolves with the address it prints. */
export function startExplorer(args: string[] = []): Promise<Explorer> {
  const child = spawn(process.execPath, ['bin/vitpipe.js', 'explore', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const stop = () => new Promise<void>((ok) => {
    if (child.exitCode !== null) return ok();
    child.once('exit', () => ok());
    child.kill('SIGTERM');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (void stop(), reject(new Error(`vitpipe explore printed no address in 120 s:\n${out}`))), 120_000);
    const check = () => {
      const m = /vitpipe explorer at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], process: child, stop, log: () => out });
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`vitpipe explore exited with ${code}:\n${out}`));
    });
  });
}

/** Open the page and wait until it is interactive (the app sets body[data-ready] once its views are built). */
export async function openExplorer(browser: Browser, url: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 60_000 });
  return page;
}

/** Every `[data-k]` value under a selector, by key. */
export async function figures(page: Page, scope: string): Promise<Record<string, string>> {
  return page.$$eval(`${scope} [data-k]`, (els) => Object.fromEntries(els.map((e) => [e.getAttribute('data-k')!, e.getAttribute('data-v')!])));
}

/** Wait until a status line (`#plan-status`, `#sim-status`, …) stops running; returns its text (an error message if the work failed). */
export async function settled(page: Page, status: string, timeout = 150_000): Promise<string> {
  await page.waitForFunction((v) => !document.querySelector(`${v}.running`), status, { timeout });
  return (await page.textContent(status)) ?? '';
}

/** Drop files on an element as a person dragging them from a file manager would (a DataTransfer with File objects). */
export async function dropFiles(page: Page, selector: string, files: Array<{ name: string; bytes: Buffer; type: string }>): Promise<void> {
  const dt = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
    return dt;
  }, files.map((f) => ({ name: f.name, type: f.type, b64: f.bytes.toString('base64') })));
  await page.dispatchEvent(selector, 'drop', { dataTransfer: dt });
}
