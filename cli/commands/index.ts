import type { Command } from 'commander';

type CommandModule = { register: (program: Command) => void };

/**
 * Every command module exports `register(program)`; add new commands to this table (in help order). Modules load on
 * demand: a run of one command imports only that command's module and what it uses (about half of the CLI's
 * start-up went to importing every command's dependencies); help and unknown commands load them all.
 */
export const COMMAND_MODULES: Record<string, () => Promise<CommandModule>> = {
  import: () => import('./import.ts'),
  'export-onnx': () => import('./export-onnx.ts'),
  quantize: () => import('./quantize.ts'),
  infer: () => import('./infer.ts'),
  audit: () => import('./audit.ts'),
  estimate: () => import('./estimate.ts'),
  plan: () => import('./plan.ts'),
  simulate: () => import('./simulate.ts'),
  'fifo-size': () => import('./fifo-size.ts'),
  generate: () => import('./generate.ts'),
  'prune-sweep': () => import('./prune-sweep.ts'),
  'merge-sweep': () => import('./merge-sweep.ts'),
  worker: () => import('./worker.ts'),
  'queue-clean': () => import('./queue-clean.ts'),
  explore: () => import('./explore.ts'),
};

/** The modules a command line needs: its command's alone, or all of them (help, an unknown or missing command). */
export function commandModulesFor(argv: string[]): Array<() => Promise<CommandModule>> {
  const name = argv[2];
  return name !== undefined && Object.hasOwn(COMMAND_MODULES, name) ? [COMMAND_MODULES[name]] : Object.values(COMMAND_MODULES);
}
