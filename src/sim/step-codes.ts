// The step result codes shared by the JavaScript processes (core.ts) and the compiled kernel's loader (kernel/).
/** Step results: low 2 bits the cycle's category, bit 2 set when the process sleeps until woken. */
export const BUSY = 0;
export const STALL_IN = 1;
export const STALL_OUT = 2;
export const IDLE = 3;
export const SLEEP = 4;
/** Set (with SLEEP) when a loop process skipped ahead over iterations without FIFO accesses (`skipLen` of them). */
export const SKIP = 8;
