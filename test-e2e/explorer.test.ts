/**
 * End to end: `vitpipe explore` served on a free loopback port, driven in Debian's chromium (playwright-core), and
 * every figure the page shows compared with what the CLI prints for the same work. Screenshots of each view go to
 * test-output/e2e/. Skips, saying why, only when chromium is missing or does not start.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { designToJson, hgpipeDeitTiny } from '../src/ir/index.ts';
import { HAVE_REFS, IMAGENET_SAMPLE, REFS_DIR } from '../test/shared.ts';
import { dropFiles, figures, launchChromium, openExplorer, settled, startExplorer, type Explorer } from './harness.ts';

const run = promisify(execFile);
const OUT = join('test-output', 'e2e');
const PHOTOS = ['n01440764_tench.JPEG', 'n01443537_goldfish.JPEG'].map((f) => join(IMAGENET_SAMPLE, f));
const HAVE_PHOTOS = HAVE_REFS && PHOTOS.every((p) => existsSync(p));

async function cliJson(...args: string[]): Promise<any> {
  const r = await run(process.execPath, ['bin/vitpipe.js', ...args, '--json'], { maxBuffer: 1 << 28 }).catch((e) => e);
  return JSON.parse(r.stdout);
}

let browser: Browser | null = null;
let skip: string | false = false;
let server: Explorer;
let page: Page;
let cli: { plan: any; sim: any; ideal?: any; hardware?: any };

describe('vitpipe explore in chromium', { timeout: 300_000 }, () => {
  before(async () => {
    mkdirSync(OUT, { recursive: true });
    const launched = await launchChromium();
    if ('reason' in launched) {
      skip = `e2e skipped: ${launched.reason}`;
      console.log(`# ${skip}`);
      return;
    }
    browser = launched.browser;
    // The CLI's answers for the same work, computed beside the server's start.
    const [plan, sim, ideal, hardware, srv] = await Promise.all([
      cliJson('plan', '--model', 'hgpipe-deit-tiny', '--device', 'vck190'),
      cliJson('simulate', '--design', 'hgpipe-deit-tiny', '--images', '2'),
      HAVE_PHOTOS ? cliJson('infer', '--weights', REFS_DIR, '--image', ...PHOTOS, '--mode', 'ideal', '--threads', '1') : undefined,
      HAVE_PHOTOS ? cliJson('infer', '--weights', REFS_DIR, '--image', ...PHOTOS, '--mode', 'hardware', '--threads', '1') : undefined,
      startExplorer(HAVE_REFS ? ['--weights', REFS_DIR] : []),
    ]);
    cli = { plan, sim, ideal, hardware };
    server = srv;
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('1. the page served by vitpipe explore becomes interactive', async (t) => {
    if (skip) return t.skip(skip);
    page = await openExplorer(browser!, server.url);
    assert.equal(await page.getAttribute('#tab-plan', 'aria-selected'), 'true');
  });

  it('2. plans hgpipe-deit-tiny on the VCK190: the same interval, images/s and resources as vitpipe plan --json', async (t) => {
    if (skip) return t.skip(skip);
    await page.selectOption('#plan-model', 'hgpipe-deit-tiny');
    await page.selectOption('#plan-device', 'vck190');
    await page.click('#plan-run');
    const status = await settled(page, '#plan-status');
    const f = await figures(page, '#plan-results');
    assert.ok(f.steadyInterval, `no plan on the page; status: ${status}`);
    assert.equal(Number(f.steadyInterval), cli.plan.steadyInterval);
    assert.equal(Number(f.imagesPerSecond), cli.plan.imagesPerSecond);
    for (const k of ['lut', 'ff', 'dsp', 'bram', 'uram']) assert.equal(Number(f[k]), cli.plan.resources[k], k);
    assert.equal(f.fits, cli.plan.fits ? 'yes' : 'no');
    await page.screenshot({ path: join(OUT, 'plan.png'), fullPage: true });
  });

  it('3. simulates HG-PIPE\'s design for 2 images: the same five per-image figures as vitpipe simulate --json', async (t) => {
    if (skip) return t.skip(skip);
    await page.click('#tab-sim');
    await page.selectOption('#sim-design', 'builtin');
    await page.fill('#sim-images', '2');
    await page.click('#sim-run');
    const status = await settled(page, '#sim-status');
    const f = await figures(page, '#sim-per-image');
    assert.ok(Object.keys(f).length, `no per-image figures on the page; status: ${status}`);
    for (const p of cli.sim.network.perImage)
      for (const k of ['firstInLastIn', 'firstOutLastOut', 'firstInFirstOut', 'lastInLastOut', 'firstInLastOut']) assert.equal(Number(f[`image${p.image}.${k}`]), p[k], `image ${p.image} ${k}`);
    assert.equal(Object.keys(f).length, 5 * cli.sim.network.perImage.length);
    await page.waitForSelector('#sim-timeline svg', { timeout: 120_000 });
    await page.screenshot({ path: join(OUT, 'simulate.png'), fullPage: true });
  });

  it('4. classifies two dropped photos: the same top-5 classes and logits as vitpipe infer --json, ideal and hardware', async (t) => {
    if (skip) return t.skip(skip);
    if (!HAVE_PHOTOS) return t.skip(`needs ${REFS_DIR} and two photos of ${IMAGENET_SAMPLE} (../shared absent); skipped`);
    await page.click('#tab-classify');
    await dropFiles(page, '#classify-drop', PHOTOS.map((p) => ({ name: p.split('/').pop()!, bytes: readFileSync(p), type: 'image/jpeg' })));
    await page.waitForFunction(() => document.querySelectorAll('#classify-results article.photo [data-k="hardware.4.logit"]').length === 2, undefined, { timeout: 150_000 }).catch(async () => {
      assert.fail(`classification did not finish: ${await page.textContent('#view-classify')}`);
    });
    for (const mode of ['ideal', 'hardware'] as const) {
      for (const r of cli[mode].results) {
        const name = r.file.split('/').pop();
        const f = await figures(page, `article.photo[data-file="${name}"]`);
        r.top5.forEach((c: { class: number; logit: number }, i: number) => {
          assert.equal(Number(f[`${mode}.${i}.class`]), c.class, `${name} ${mode} #${i + 1} class`);
          assert.equal(Number(f[`${mode}.${i}.logit`]), c.logit, `${name} ${mode} #${i + 1} logit`);
        });
      }
    }
    // A token-pruning schedule: each selection's dropped patches are drawn on the photo (half of 195 image tokens).
    await page.fill('#classify-prune', '3,6,9:0.5');
    await page.press('#classify-prune', 'Enter');
    await page.waitForFunction(() => [...document.querySelectorAll('article.photo')].every((a) => a.textContent!.includes('dropped after ATTN9')), undefined, { timeout: 120_000 });
    for (const text of await page.$$eval('article.photo', (els) => els.map((e) => e.textContent!))) assert.match(text, /dropped after ATTN3 \(97 patches\)/);
    await page.screenshot({ path: join(OUT, 'classify.png'), fullPage: true });
  });

  it('5. bad input: a non-image file, impossible capacities and a deadlocking design each give a readable message; no spinner is left', async (t) => {
    if (skip) return t.skip(skip);
    if (HAVE_REFS) {
      await page.click('#tab-classify');
      await dropFiles(page, '#classify-drop', [{ name: 'notes.txt', bytes: Buffer.from('not a photo'), type: 'text/plain' }]);
      await page.waitForSelector('article.photo.failed[data-file="notes.txt"]', { timeout: 60_000 });
      assert.match((await page.textContent('article.photo.failed[data-file="notes.txt"]'))!, /cannot decode image.*expected a JPEG or PNG file/);
      await settled(page, '#classify-status');
      // A pruning schedule the CLI's --prune-tokens parser refuses: its message, in the page.
      await page.fill('#classify-prune', '3,6,9:half');
      await page.press('#classify-prune', 'Enter');
      assert.match(await settled(page, '#classify-status'), /Error: expected <layers>:<keep>, e\.g\. 3,6,9:0\.5; got '3,6,9:half'/);
      await page.fill('#classify-prune', '');
    }
    await page.click('#tab-plan');
    await page.selectOption('#plan-device', 'custom');
    await page.fill('#cap-lut', '-5');
    await page.click('#plan-run');
    assert.match(await settled(page, '#plan-status'), /Error: custom device:.*Too small.*capacity\.lut/s);
    await page.fill('#cap-lut', '1000');
    await page.click('#plan-run');
    await settled(page, '#plan-status');
    assert.match((await page.textContent('#plan-results'))!, /Does not fit/);
    // HG-PIPE's design with every attention residual FIFO cut to 16 entries deadlocks.
    const doc = JSON.parse(designToJson(hgpipeDeitTiny()));
    for (const b of doc.blocks) if (b.kind === 'attn') for (const s of b.streams) if (s.name.startsWith('resi_')) s.depth = 16;
    const dir = mkdtempSync(join(tmpdir(), 'vitpipe-e2e-'));
    const file = join(dir, 'deadlock.json');
    writeFileSync(file, JSON.stringify(doc));
    await page.click('#tab-sim');
    await page.selectOption('#sim-design', 'file');
    await page.setInputFiles('#sim-file', file);
    await page.fill('#sim-images', '2');
    await page.click('#sim-run');
    await settled(page, '#sim-status');
    assert.match((await page.textContent('#sim-deadlock'))!, /Deadlock at cycle [\d,]+\..*wait-for cycle/s);
    assert.ok(await page.$('#sim-results svg path[marker-end]'), 'the wait-for cycle is drawn on the block diagram');
    await page.screenshot({ path: join(OUT, 'simulate-deadlock.png'), fullPage: true });
    // A non-JSON design file.
    writeFileSync(file, '{ not json');
    await page.setInputFiles('#sim-file', file);
    await page.click('#sim-run');
    assert.match(await settled(page, '#sim-status'), /Error: .*not JSON/);
    rmSync(dir, { recursive: true, force: true });
    assert.equal(await page.$('.status.running'), null);
  });

  it('6. a weights folder with a missing file: the Classify view names the file; the other views work', async (t) => {
    if (skip) return t.skip(skip);
    if (!HAVE_REFS) return t.skip(`needs ${REFS_DIR}; skipped`);
    const dir = mkdtempSync(join(tmpdir(), 'vitpipe-e2e-refs-'));
    for (const f of readdirSync(REFS_DIR)) if (f !== 'mlp_5_matmul2_weight.txt') symlinkSync(join(REFS_DIR, f), join(dir, f));
    const broken = await startExplorer(['--weights', dir]);
    try {
      const p = await openExplorer(browser!, broken.url);
      await p.click('#tab-classify');
      assert.match((await p.textContent('#classify-no-weights'))!, /mlp_5_matmul2_weight\.txt.*missing/);
      await p.close();
    } finally {
      await broken.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('7. phone width: the views fit a 390-pixel screen', async (t) => {
    if (skip) return t.skip(skip);
    const p = await openExplorer(browser!, server.url, { width: 390, height: 844 });
    await p.click('#plan-run');
    await settled(p, '#plan-status');
    await p.waitForSelector('#plan-results [data-k="steadyInterval"]');
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `page is ${overflow} px wider than the screen`);
    await p.screenshot({ path: join(OUT, 'phone-plan.png'), fullPage: true });
    await p.close();
  });
});
