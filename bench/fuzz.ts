/**
 * Fuzz the command line as an adversarial user would: mutate design files, model files, reference-format weight
 * files, hardware-types files and flags, run a command on each, and classify the outcome — a clean error (exit 1 or
 * 2, one message, no stack trace), a success (exit 0), a crash (any other exit, a stack trace, or a V8 fatal
 * error), a hang (no exit within the limit), or file damage (an existing output changed or a temporary left behind
 * after a failure). Seeded: the same seed replays the same cases.
 * Usage: npm run fuzz -- [--seconds 60] [--runs N] [--seed 1] [--timeout 60] [--json]
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prng } from '../src/num/index.ts';
import { argValue, REFS_DIR } from './common.ts';

const seconds = Number(argValue('--seconds') ?? 60);
const rand = prng(Number(argValue('--seed') ?? 1));
const timeoutS = Number(argValue('--timeout') ?? 60);
const maxRuns = Number(argValue('--runs') ?? Infinity);
const work = mkdtempSync(join(tmpdir(), 'vitpipe-fuzz-'));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];

const NUMBERS = ['0', '-1', '1e9', '1e308', 'NaN', '0x10', ' 7 ', '3.5', '-0', '99999999999999999999', '', 'abc', '1e-400'];
const VALUES: unknown[] = [0, -1, 1e12, 1e308, -1e308, 0.5, null, 'x', [], {}, true, 2 ** 53, -(2 ** 31)];

function vitpipe(args: string[]): { status: number | null; stderr: string; timedOut: boolean } {
  const r = spawnSync(process.execPath, ['bin/vitpipe.js', ...args], { encoding: 'utf8', timeout: timeoutS * 1000, maxBuffer: 64 << 20 });
  return { status: r.status, stderr: r.stderr ?? '', timedOut: r.error?.message.includes('ETIMEDOUT') === true || r.signal === 'SIGTERM' };
}

/** Replace one random leaf of a JSON document (or delete it). */
function mutateJson(doc: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(doc));
  const paths: Array<[Record<string, unknown>, string]> = [];
  const walk = (node: unknown) => {
    if (node && typeof node === 'object')
      for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
        paths.push([node as Record<string, unknown>, k]);
        walk(v);
      }
  };
  walk(copy);
  if (paths.length === 0) return copy;
  const [parent, key] = pick(paths);
  if (rand() < 0.15) delete parent[key];
  else parent[key] = pick(VALUES);
  return copy;
}

interface Case {
  command: string;
  args: string[];
  /** What was mutated, for the report. */
  input?: string;
  /** An output the command may write: it holds a sentinel before the run. */
  output?: string;
}

function designCase(): Case {
  const design = join(work, 'design.json');
  if (!existsSync(design)) vitpipe(['simulate', '--design', 'hgpipe-deit-tiny', '--images', '1', '--no-network', '--save-design', design]);
  const doc = JSON.parse(readFileSync(design, 'utf8'));
  const bad = join(work, `d${Math.floor(rand() * 1e9)}.json`);
  writeFileSync(bad, JSON.stringify(mutateJson(doc)));
  const out = join(work, 'out.json');
  return pick([
    { command: 'simulate', args: ['simulate', '--design', bad, '--images', '2', '--no-network'] },
    { command: 'estimate', args: ['estimate', '--design', bad, '--device', 'vck190'] },
    { command: 'fifo-size', args: ['fifo-size', '--design', bad, '--out', out], output: out },
  ]);
}

function modelCase(): Case {
  const model = { name: 'm', imageSize: 224, patchSize: 16, inChannels: 3, width: 192, depth: 12, heads: 3, mlpRatio: 4, numClasses: 1000, tokens: 197, quant: { weightBits: 3, activationBits: 3, residualBits: 15, embedBits: 8, headBits: 8 } };
  const file = join(work, `m${Math.floor(rand() * 1e9)}.json`);
  const text = JSON.stringify(mutateJson(model));
  writeFileSync(file, text);
  const out = join(work, 'plan.json');
  return { command: 'plan', args: ['plan', '--model', file, '--device', pick(['vck190', 'zcu102', 'kv260']), '--out', out], output: out, input: text };
}

function weightsCase(): Case | undefined {
  if (!existsSync(REFS_DIR)) return undefined;
  const dir = join(work, 'refs');
  if (!existsSync(dir)) cpSync(REFS_DIR, dir, { recursive: true });
  const files = readdirSync(dir).filter((f) => /_(scalars|table_m)\.txt$/.test(f));
  const file = join(dir, pick(files));
  const original = readFileSync(file, 'utf8');
  const values = original.split(',').filter((v) => v !== '');
  values[Math.floor(rand() * values.length)] = pick([...NUMBERS, '4000', '-4000', '65536']);
  writeFileSync(file, values.join(',') + ',');
  const c = { command: 'infer', args: ['infer', '--weights', dir, '--patches', join(REFS_DIR, 'patch_embed_input.txt'), '--mode', pick(['ideal', 'hardware']), '--types', join(REFS_DIR, '..', 'hardware-types.json')] };
  restore.push(() => writeFileSync(file, original));
  return c;
}

function flagCase(): Case {
  const n = pick(NUMBERS);
  return pick([
    { command: 'simulate', args: ['simulate', '--design', 'hgpipe-deit-tiny', '--images', n, '--no-network'] },
    { command: 'simulate', args: ['simulate', '--design', 'hgpipe-deit-tiny', '--images', '1', '--clock-mhz', n, '--no-network'] },
    { command: 'plan', args: ['plan', '--model', 'hgpipe-deit-tiny', '--device', 'vck190', '--max-utilization', n] },
    { command: 'export-onnx', args: ['export-onnx', '--weights', work, '--out', join(work, 'x.onnx'), '--opset', n] },
  ]);
}

const restore: Array<() => void> = [];
const tally = new Map<string, { clean: number; ok: number; crash: number; hang: number; damage: number }>();
const examples: string[] = [];
const deadline = Date.now() + seconds * 1000;
let runs = 0;
while (Date.now() < deadline && runs < maxRuns) {
  const c = pick([designCase, modelCase, weightsCase, flagCase])();
  if (!c) continue;
  const sentinel = `sentinel ${runs}`;
  if (c.output) writeFileSync(c.output, sentinel);
  const before = new Set(readdirSync(work));
  const r = vitpipe(c.args);
  const t = tally.get(c.command) ?? { clean: 0, ok: 0, crash: 0, hang: 0, damage: 0 };
  tally.set(c.command, t);
  const stack = /\n\s+at .+:\d+:\d+/.test(r.stderr) || /FATAL ERROR|internal error/.test(r.stderr);
  let kind: keyof typeof t;
  if (r.timedOut) kind = 'hang';
  else if (r.status === 0) kind = 'ok';
  else if ((r.status === 1 || r.status === 2) && !stack) kind = 'clean';
  else kind = 'crash';
  const stray = readdirSync(work).filter((f) => !before.has(f) && f.startsWith('.'));
  if (kind !== 'ok' && ((c.output && existsSync(c.output) && readFileSync(c.output, 'utf8') !== sentinel) || stray.length > 0)) kind = 'damage';
  t[kind]++;
  if (kind !== 'clean' && kind !== 'ok' && examples.length < 20)
    examples.push(`${kind}: vitpipe ${c.args.join(' ')}${c.input ? ` (input ${c.input})` : ''} → exit ${r.status}: ${r.stderr.trim().split('\n').slice(0, 2).join(' | ').slice(0, 300)}`);
  while (restore.length) restore.pop()!();
  runs++;
}
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ runs, tally: Object.fromEntries(tally), examples }));
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
}
console.log(`fuzz: ${runs} runs in ${seconds} s`);
console.log('command       clean     ok  crash   hang damage');
for (const [cmd, t] of tally) console.log(`${cmd.padEnd(12)} ${[t.clean, t.ok, t.crash, t.hang, t.damage].map((n) => String(n).padStart(6)).join(' ')}`);
for (const e of examples) console.log(e);
rmSync(work, { recursive: true, force: true });
