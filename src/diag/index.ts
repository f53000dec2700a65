/** Diagnostics: errors as data (error.ts), and reading/writing user files with errors that name them. */
export * from './error.ts';
export { readJsonFile, MAX_JSON_BYTES } from './read-json.ts';
export { writeFolderAtomically } from './write-folder.ts';
export { describeFsError, formatBytes, readInputBytes, readInputText, showValue, type ReadLimits } from './read-file.ts';
export { deferSignals } from './signals.ts';
