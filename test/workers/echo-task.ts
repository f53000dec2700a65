import { fail } from '../../src/diag/index.ts';
import { workerTask } from '../../src/workers/index.ts';

/** A worker task for the tests: doubles `n`, or fails with a diagnostic when `n` is negative. */
export default workerTask((t: { n: number }) => (t.n < 0 ? fail('BAD_ARGUMENT', `n must not be negative, got ${t.n}`, 'echo-task') : t.n * 2), (t) => `task ${t.n}`);
