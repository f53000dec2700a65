import { InvalidArgumentError } from 'commander';
import { isVitpipeError } from '../src/diag/index.ts';

/** Print a failure (as JSON under --json) and return the exit code: 1 for a diagnosed error, 70 for a bug. */
export function reportError(e: unknown, json: boolean): number {
  if (isVitpipeError(e)) {
    const d = e.diagnostic;
    if (json) process.stdout.write(JSON.stringify({ error: d }, null, 2) + '\n');
    else process.stderr.write(`vitpipe: error [${d.code}] ${e.message}${d.hint ? `\n  hint: ${d.hint}` : ''}\n`);
    return 1;
  }
  const msg = e instanceof Error ? (e.stack ?? e.message) : String(e);
  process.stderr.write(`vitpipe: internal error (please report): ${msg}\n`);
  return 70;
}

/** Write a JSON document to stdout. */
export function printJson(doc: unknown): void {
  process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
}

/** Parse a positive (finite) number option with a message naming the option. */
export function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got '${value}'`);
    return n;
  };
}

/** Parse a positive integer option with a message naming the option. */
export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer, got '${value}'`);
    return n;
  };
}
