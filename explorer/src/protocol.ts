/**
 * Messages between the page and its Web Workers. Every request carries an id; a worker answers with progress
 * messages and exactly one `done` or `failed` for it. Errors travel as the library's VitpipeError fields.
 */
import type { Device } from '../../src/cost/index.ts';
import type { ViTConfig } from '../../src/model/index.ts';
import type { ArithMode } from '../../src/ops/index.ts';

export interface PlanTask {
  kind: 'plan';
  model: ViTConfig;
  device: Device;
  targetFps?: number;
  clockMhz?: number;
}
export interface SimTask {
  kind: 'sim-network' | 'sim-blocks' | 'sim-timeline';
  /** The built-in design by name, or a design.json's text (planned in the page, or a file the person picked). */
  design: { builtin: string } | { json: string; file: string };
  images: number;
  clockMhz: number;
}
/** Load a refs folder's weights (fetched from the explorer's server under `base`). */
export interface WeightsTask {
  kind: 'weights';
  base: string;
  files: string[];
  types: string | null;
}
export interface ClassifyTask {
  kind: 'classify';
  patches: Int32Array;
  modes: ArithMode[];
  /** Token pruning as `--prune-tokens` takes it (`3,6,9:0.5`: after those attention blocks keep that share); '' for none. */
  pruning: string;
}
export type Task = PlanTask | SimTask | WeightsTask | ClassifyTask;

export interface ErrorInfo {
  code: string;
  message: string;
  where?: string;
  hint?: string;
}

export type Reply =
  | { id: number; type: 'progress'; done: number; total: number; detail: string }
  | { id: number; type: 'done'; result: unknown; seconds: number }
  | { id: number; type: 'failed'; error: ErrorInfo };

/** One line a person can read, from any error (a VitpipeError's fields, else its message). */
export function errorText(e: ErrorInfo): string {
  return `${e.message}${e.where ? ` (${e.where})` : ''}${e.hint ? ` — ${e.hint}` : ''}`;
}
