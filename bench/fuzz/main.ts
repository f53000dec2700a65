/**
 * Fuzz the command line as an adversarial user would: mutate every input kind (design, model and device JSON; weight
 * and table files; hardware types; photos; model folders and checkpoints; settings files; flags; output paths), run
 * the command that reads it, and classify the outcome: a clean error (exit 1 or 2, a message, no stack trace), a
 * success (exit 0), a crash (any other exit, a stack trace, a V8 fatal error, more than 4 GiB of heap), a hang (no exit
 * within 10× the command's time on valid input, at most 120 s), or file damage (after a failure: anything in the
 * case's folder created, changed or removed; after any run: a temporary left behind or an input changed).
 * Seeded: the same seed replays the same cases.
 * Usage: npm run fuzz -- [--seconds 60] [--runs N] [--seed 1] [--timeout 120] [--json]
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { prng } from '../../src/num/index.ts';
import { argValue } from '../common.ts';
import { CaseMaker, type Case } from './cases.ts';
import { makeFixtures } from './fixtures.ts';

const seconds = Number(argValue('--seconds') ?? 60);
const seed = Number(argValue('--seed') ?? 1);
const maxTimeoutS = Math.min(120, Number(argValue('--timeout') ?? 120));
const maxRuns = Number(argValue('--runs') ?? Infinity);
const json = process.argv.includes('--json');
const started = performance.now();
const work = mkdtempSync(join(tmpdir(), 'vitpipe-fuzz-'));
const fixtures = makeFixtures(work);
const maker = new CaseMaker(fixtures, prng(seed));

interface Outcome { status: number | null; stderr: string; stdout: string; timedOut: boolean; seconds: number }

function run(args: string[], timeoutS: number): Outcome {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['bin/vitpipe.js', ...args], {
    encoding: 'utf8', timeout: timeoutS * 1000, killSignal: 'SIGKILL', maxBuffer: 256 << 20,
    env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=4096' },
  });
  return { status: r.status, stderr: r.stderr ?? '', stdout: r.stdout ?? '', timedOut: r.signal === 'SIGKILL', seconds: (performance.now() - t0) / 1000 };
}

/** Every file and folder under `dir` with a hash of each file's content. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const rel = relative(dir, p);
      if (e.isDirectory()) {
        out.set(rel + '/', 'dir');
        walk(p);
      } else out.set(rel, createHash('sha1').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

const hashOf = (file: string) => (existsSync(file) && statSync(file).isFile() ? createHash('sha1').update(readFileSync(file)).digest('hex') : 'absent');

/** Seconds the command takes on valid input, measured once per template (only when a case ran long enough to ask). */
const validSeconds = new Map<string, number>();
function hangLimit(c: Case): number {
  if (c.limitS !== undefined) return c.limitS;
  if (!validSeconds.has(c.template)) {
    const r = run(c.validArgs, maxTimeoutS);
    validSeconds.set(c.template, r.seconds);
  }
  return Math.min(maxTimeoutS, 10 * validSeconds.get(c.template)!);
}

type Kind = 'clean' | 'ok' | 'crash' | 'hang' | 'damage';
const tally = new Map<string, Record<Kind, number>>();
const examples: string[] = [];
let runs = 0;
while ((performance.now() - started) / 1000 < seconds && runs < maxRuns) {
  const dir = join(work, `case-${runs}`);
  mkdirSync(dir);
  const c = maker.make(dir);
  if (!c) {
    rmSync(dir, { recursive: true, force: true });
    continue;
  }
  const before = snapshot(dir);
  const inputsBefore = c.inputs.map(hashOf);
  // Run with the longest allowed time; a run longer than 10 s is checked against 10× the valid run's time.
  const r = run(c.args, c.limitS ?? maxTimeoutS);
  c.restore?.();
  const slow = r.timedOut || (r.seconds > 10 && r.seconds > hangLimit(c));
  const after = snapshot(dir);
  const stack = /\n\s+at .+:\d+:\d+/.test(r.stderr) || /FATAL ERROR|internal error|heap out of memory/i.test(r.stderr + r.stdout);
  let kind: Kind;
  if (slow) kind = 'hang';
  else if (r.status === 0) kind = 'ok';
  else if ((r.status === 1 || r.status === 2) && !stack) kind = 'clean';
  else kind = 'crash';
  const changedAfterFailure = kind !== 'ok' && (before.size !== after.size || [...before].some(([k, v]) => after.get(k) !== v));
  const temporaries = [...after.keys()].filter((k) => !before.has(k) && /(^|\/)\./.test(k));
  const inputChanged = c.inputs.some((f, i) => hashOf(f) !== inputsBefore[i]);
  if ((kind === 'clean' || kind === 'ok') && (changedAfterFailure || temporaries.length > 0 || inputChanged)) kind = 'damage';
  const t = tally.get(c.command) ?? { clean: 0, ok: 0, crash: 0, hang: 0, damage: 0 };
  tally.set(c.command, t);
  t[kind]++;
  if (kind !== 'clean' && kind !== 'ok' && examples.length < 20) {
    const what = kind === 'damage' ? ` [changed: ${[...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k)).join(', ')}${inputChanged ? '; an input changed' : ''}]` : '';
    examples.push(`${kind}: ${c.mutated}: vitpipe ${c.args.join(' ')} → exit ${r.status} in ${r.seconds.toFixed(1)} s${what}: ${(r.stderr || r.stdout).trim().split('\n').slice(0, 3).join(' | ').slice(0, 400)}`);
  }
  rmSync(dir, { recursive: true, force: true });
  runs++;
}
rmSync(work, { recursive: true, force: true });

const elapsed = (performance.now() - started) / 1000;
if (json) console.log(JSON.stringify({ seed, runs, seconds: Math.round(elapsed), tally: Object.fromEntries(tally), validSeconds: Object.fromEntries(validSeconds), examples }));
else {
  console.log(`fuzz: ${runs} cases in ${elapsed.toFixed(0)} s (seed ${seed})${fixtures.refs ? '' : '; ../shared absent: weights, photo, model-folder and checkpoint cases skipped'}`);
  console.log('command        clean     ok  crash   hang damage');
  for (const [cmd, t] of [...tally].sort()) console.log(`${cmd.padEnd(12)} ${[t.clean, t.ok, t.crash, t.hang, t.damage].map((n) => String(n).padStart(6)).join(' ')}`);
  for (const e of examples) console.log(e);
}
