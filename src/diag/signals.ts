/**
 * Ctrl-C (SIGINT) and SIGTERM end vitpipe at once by default, which is what a user wants during long work. While
 * output files are being put in place, though, the end must wait until they are complete: `deferSignals` holds such
 * a signal for the duration of a synchronous write and then ends the process (130 / 143) once every file is whole.
 * JavaScript runs signal listeners only between synchronous steps, so the listener itself can never run mid-write.
 */
export function deferSignals<T>(write: () => T): T {
  const end = (signal: NodeJS.Signals) => process.exit(signal === 'SIGINT' ? 130 : 143);
  process.on('SIGINT', end);
  process.on('SIGTERM', end);
  try {
    return write();
  } finally {
    // A signal that arrived during `write` is delivered in a later turn of the event loop: keep listening (and the
    // loop alive, so a command that is done anyway still ends as interrupted) a moment longer.
    setTimeout(() => {
      process.off('SIGINT', end);
      process.off('SIGTERM', end);
    }, 20);
  }
}
