import type { Command } from 'commander';
import { fail } from '../../src/diag/index.ts';
import { loadSettings, mergeGrid, mergeSetting, type PruneSetting } from '../../src/prune/index.ts';
import { runSweep, sweepOptions, type PruneSweepOptions } from './prune-sweep.ts';

interface MergeSweepOptions extends PruneSweepOptions {
  schedules?: string;
  proportional: boolean;
}

const HELP = `
Schedules: --schedules '8;12;16,16,16,16,8,8,8,8,8,8,8,8' (each a --merge-tokens value: one r for every layer, or r
per layer), evaluated after the unmerged model; or --settings file.json with pruning settings and merging ones:
  { "name": "merge 12", "mergeTokens": 12 }   { "name": "…", "mergeTokens": [16, 16, 8, …], "proportionalAttention": false }
Token merging (docs/TOKEN-MERGING.md): in every layer, after attention and before the MLP, r tokens merge into their
most similar partners (keys, bipartite matching), size-weighted; proportional attention adds each key's size to the
softmax as a table-step bias. Rows are coloured by method: merging blue, pruning orange.`;

export function register(program: Command): void {
  sweepOptions(program
    .command('merge-sweep')
    .description('token merging (ToMe, no fine-tuning) against token pruning: top-1/top-5 over labelled photos and the planned design\'s images/s per schedule'))
    .option('--schedules <list>', 'merge schedules separated by ";" (each as --merge-tokens), instead of the built-in grid')
    .option('--no-proportional', 'with --schedules: no proportional attention (no softmax size bias)')
    .addHelpText('after', HELP)
    .action((opts: MergeSweepOptions) => {
      if (opts.schedules && opts.settings) fail('BAD_ARGUMENT', 'give --schedules or --settings, not both', '--schedules');
      const settingsOf = (depth: number): PruneSetting[] => {
        if (opts.settings) return loadSettings(opts.settings, depth);
        if (opts.schedules) return [{ name: 'none' }, ...opts.schedules.split(';').map((t) => mergeSetting(t, depth, opts.proportional))];
        return mergeGrid(depth);
      };
      return runSweep(opts, settingsOf, {
        title: 'Token merging vs token pruning, no fine-tuning: top-1 vs throughput',
        colourOf: (name) => (/^merge|mergeTokens/.test(name) ? '#2a5ab5' : '#b5542a'),
        legend: [['● merging (ToMe)', '#2a5ab5'], ['● pruning', '#b5542a']],
      });
    });
}
