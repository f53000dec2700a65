import assert from 'node:assert/strict';
import { VitpipeError } from '../../src/diag/index.ts';

/** The message of the BAD_DESIGN diagnostic `check` must throw (fails the test when it accepts `what`). */
export function badDesignMessage(check: () => unknown, what: string): string {
  try {
    check();
  } catch (e) {
    assert.ok(e instanceof VitpipeError);
    assert.equal(e.diagnostic.code, 'BAD_DESIGN');
    return e.message;
  }
  assert.fail(`${what} was accepted`);
}
