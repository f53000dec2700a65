/**
 * Diagnostics are data: every failure vitpipe reports has a stable code, a message that names the file, field or
 * value at fault, and optionally a hint. Library code throws VitpipeError; only the CLI prints and sets exit codes.
 */
export type DiagnosticCode =
  | 'BAD_ARGUMENT'
  | 'BAD_CHECKPOINT'
  | 'BAD_DESIGN'
  | 'BAD_DEVICE'
  | 'BAD_IMAGE'
  | 'BAD_MODEL'
  | 'BAD_REF_FILE'
  | 'DEADLOCK'
  | 'DOES_NOT_FIT'
  | 'IO_ERROR'
  | 'MISSING_REF_FILE'
  | 'QUEUE_UNREACHABLE'
  | 'QUEUE_REFUSED'
  | 'SHARD_FAILED'
  | 'TOOL_MISSING'
  | 'UNSAFE_CHECKPOINT'
  | 'UNKNOWN_NAME';

export interface Diagnostic {
  code: DiagnosticCode;
  message: string;
  /** File, block, process or field the diagnostic is about. */
  where?: string;
  hint?: string;
}

export class VitpipeError extends Error {
  readonly diagnostic: Diagnostic;
  constructor(diagnostic: Diagnostic) {
    super(diagnostic.where ? `${diagnostic.where}: ${diagnostic.message}` : diagnostic.message);
    this.name = 'VitpipeError';
    this.diagnostic = diagnostic;
  }
}

export function fail(code: DiagnosticCode, message: string, where?: string, hint?: string): never {
  throw new VitpipeError({ code, message, where, hint });
}

export function isVitpipeError(e: unknown): e is VitpipeError {
  return e instanceof VitpipeError;
}
