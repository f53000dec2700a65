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

const INTEGER = /^[0-9]+$/;
const DECIMAL = /^([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

/**
 * Parse a positive real option: plain decimal notation only (an exponent is allowed; no sign, hex, NaN, Infinity or
 * surrounding spaces), greater than 0 and at most `max`; the message names the option and the accepted range.
 */
export function positiveNumber(name: string, max = Number.MAX_VALUE) {
  return (value: string): number => {
    const n = Number(value);
    if (!DECIMAL.test(value) || !Number.isFinite(n) || n <= 0 || n > max)
      throw new InvalidArgumentError(`${name} must be a positive decimal number${max < Number.MAX_VALUE ? ` up to ${max}` : ''}, got '${value}'`);
    return n;
  };
}

/** Parse a positive integer option: digits only, 1 … `max`; the message names the option and the range. */
export function positiveInt(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!INTEGER.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max)
      throw new InvalidArgumentError(`${name} must be an integer from 1 to ${max}, got '${value}'`);
    return n;
  };
}

/** Parse a non-negative integer option: digits only, 0 … `max`. */
export function nonNegativeInt(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!INTEGER.test(value) || !Number.isSafeInteger(n) || n > max)
      throw new InvalidArgumentError(`${name} must be an integer from 0 to ${max}, got '${value}'`);
    return n;
  };
}
