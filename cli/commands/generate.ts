import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { rmSync } from 'node:fs';
import { checkFolderMatchesDesign, checkGeneratable, generateProject, planProjectWrite, PROJECT_MANIFEST, type GeneratedProject } from '../../src/codegen/index.ts';
import { simulateBlocksAlone, simulateDesign } from '../../src/sim/index.ts';
import { loadQuantizedFolder } from '../../src/engine/index.ts';
import { isQuantizedFolder } from '../../src/model/index.ts';
import { fail } from '../../src/diag/index.ts';
import { loadDesign, type Design } from '../../src/ir/index.ts';
import { MODEL_ZOO } from '../../src/model/index.ts';
import { checkSetting, planPruned, prunedNetwork, pruneModelWeights, sparsifyDesign, tokenMergedDesign, tokenPrunedDesign } from '../../src/prune/index.ts';
import { loadDevice } from '../../src/cost/index.ts';
import type { TokenPruner } from '../../src/engine/index.ts';
import { defaultTypesFile, loadHardwareTypes, loadWeights, type ModelWeights } from '../../src/refs/index.ts';
import { writeFilesAtomically } from '../files.ts';
import { positiveInt, printJson } from '../print.ts';
import { InvalidArgumentError } from 'commander';

function density(value: string): number {
  const d = Number(value);
  if (!(d > 0 && d <= 1)) throw new InvalidArgumentError(`--prune-density must be a number in (0, 1], got '${value}'`);
  return d;
}

interface GenerateOptions {
  design: string;
  weights: string;
  out: string;
  types?: string;
  blocks?: string[];
  pruneTokens?: string;
  mergeTokens?: string;
  device?: string;
  pruneDensity?: number;
  pruneBlock: number;
  force?: boolean;
  allowDeadlock?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('generate')
    .description('write the HLS C++ project of a design: dataflow block functions, weights headers, testbenches, Tcl, Makefile')
    .requiredOption('--design <name|file.json>', "built-in design name (hgpipe-deit-tiny) or a design JSON file (e.g. from 'vitpipe plan')")
    .requiredOption('--weights <dir>', 'HG-PIPE refs directory, or the quantized folder (vitpipe quantize) the design was planned from: weights and tables; block inputs/outputs for the testbenches')
    .requiredOption('--out <dir>', 'project directory to write')
    .option('--types <file>', 'hardware widths (default: hardware-types.json beside the weights)')
    .option('--blocks <names...>', 'generate only these blocks (e.g. ATTN2 MLP0); the network testbench needs all')
    .option('--prune-tokens <layers:keep>', 'token pruning, e.g. 3,6,9:0.5: after those attention blocks keep that share of the image tokens and fuse the rest (as prune-sweep); the built-in design is rebuilt at the pruned token counts with a token selector per stage, and the testbenches compare against the engine with the same pruning')
    .option('--merge-tokens <r|r0,…,r11>', 'token merging (ToMe, docs/TOKEN-MERGING.md), r tokens merged per layer as in merge-sweep: the built-in design is rebuilt at the merged token counts with a merge unit after every merging attention block and the token sizes linked to the later blocks; the testbenches compare against the engine with the same merging')
    .option('--device <name|file.json>', 'with --prune-tokens, --merge-tokens or --prune-density: generate the pruned planner\'s design for this device (the one prune-sweep simulates) instead')
    .option('--prune-density <d>', 'weight-block pruning: keep this fraction of the 16×16 blocks of every 3-bit matmul (as prune-sweep); the design\'s matmuls become block-sparse and the testbenches compare against the engine with the pruned weights', density)
    .option('--prune-block <n>', 'block side for --prune-density', positiveInt('--prune-block'), 16)
    .option('--force', `write into a folder that holds files vitpipe did not write (they are kept untouched; one the project would overwrite is still refused) and replace generated files edited since (vitpipe records what it wrote in ${PROJECT_MANIFEST})`)
    .option('--allow-deadlock', 'generate even when the simulator finds the design deadlocks (its C simulation would hang)')
    .option('--json', 'print one JSON document')
    .action((opts: GenerateOptions) => {
      planProjectWrite(opts.out, opts.design, opts.force === true);
      const typesFile = opts.types ?? defaultTypesFile(opts.weights)
        ?? fail('BAD_ARGUMENT', `no hardware-types.json beside or inside ${opts.weights}`, '--types', 'give --types <file>');
      let tokenPruner: TokenPruner | undefined;
      let mergeTokens: number[] | undefined;
      let design: Design;
      if (opts.pruneTokens && opts.mergeTokens) fail('BAD_ARGUMENT', 'token pruning and token merging cannot be combined', '--merge-tokens');
      if (opts.mergeTokens && opts.pruneDensity !== undefined) fail('BAD_ARGUMENT', '--prune-density cannot be combined with --merge-tokens', '--prune-density');
      if (opts.pruneTokens) ({ design, tokenPruner } = tokenPrunedDesign(opts.design, opts.pruneTokens, opts.device ? loadDevice(opts.device) : undefined));
      else if (opts.mergeTokens) ({ design, mergeTokens } = tokenMergedDesign(opts.design, opts.mergeTokens, opts.device ? loadDevice(opts.device) : undefined));
      else design = loadDesign(opts.design);
      checkGeneratable(design, opts.design);
      let weights: ModelWeights | undefined;
      // a quantized folder (`vitpipe quantize`): its integer weights, widths and golden tensors; the design must be its own
      if (isQuantizedFolder(opts.weights)) {
        if (opts.pruneTokens || opts.mergeTokens || opts.pruneDensity !== undefined)
          fail('BAD_ARGUMENT', '--prune-tokens, --merge-tokens and --prune-density work on HG-PIPE\'s refs only, not on a quantized folder', '--weights');
        const folder = loadQuantizedFolder(opts.weights);
        checkFolderMatchesDesign(design, folder.manifest, opts.weights, opts.design);
        weights = folder.weights;
      } else if (design.geometry)
        fail('BAD_DESIGN', `design ${design.name} was planned from the quantized model ${design.model}, but --weights ${opts.weights} is not a quantized folder (no quant.json)`, opts.design,
          'give the folder the design was planned from: vitpipe generate --design … --weights <quantized folder>');
      let sparse: ReturnType<typeof sparsifyDesign>['sparse'] | undefined;
      if (opts.pruneDensity !== undefined) {
        const model = MODEL_ZOO[design.model] ?? fail('UNKNOWN_NAME', `design model '${design.model}' is not in the model zoo`, 'design.model');
        const pruning = { density: opts.pruneDensity, block: opts.pruneBlock };
        checkSetting({ name: '--prune-density / --prune-block', weights: pruning }, model.depth);
        weights = pruneModelWeights(loadWeights(opts.weights, model), pruning);
        // with a device (and no token pruning): the pruned planner's design for these weights, as prune-sweep plans it
        if (opts.device && !opts.pruneTokens) {
          const setting = { name: `density ${pruning.density}`, weights: pruning };
          const device = loadDevice(opts.device);
          design = prunedNetwork(model, planPruned({ model, device, setting, weights }), setting, device);
        }
        ({ design, sparse } = sparsifyDesign(design, weights));
      }
      const deadlock = deadlockOf(design, opts.blocks);
      if (deadlock && !opts.allowDeadlock)
        fail('DEADLOCK', `the simulator finds this design deadlocks, so its C simulation would hang: ${deadlock}`, opts.design, 'fix the design (e.g. vitpipe fifo-size), or add --allow-deadlock to generate it anyway');
      if (deadlock && !opts.json) process.stderr.write(`warning: generating a design that deadlocks (--allow-deadlock): ${deadlock}\n`);
      const project = generateProject({ design, weightsDir: opts.weights, types: loadHardwareTypes(typesFile), blocks: opts.blocks, weights, tokenPruner, mergeTokens });
      const write = planProjectWrite(opts.out, design.name, opts.force === true, project.files);
      writeFilesAtomically(write.files.map((f) => ({ path: join(opts.out, f.path), content: f.content })));
      for (const path of write.stale) rmSync(join(opts.out, path), { force: true });
      const { files, ...summary } = project;
      const bytes = files.reduce((s, f) => s + f.content.length, 0);
      const pruned = sparse && { density: opts.pruneDensity, block: opts.pruneBlock, sparseMatmuls: sparse.length, storedTiles: sparse.reduce((s, m) => s + m.storedTiles, 0), denseTiles: sparse.reduce((s, m) => s + m.denseTiles, 0) };
      const folder = { keptForeign: write.foreign, replacedEdited: write.edited, removedStale: write.stale };
      if (opts.json) printJson({ out: resolve(opts.out), files: files.length, bytes, ...summary, pruned, mergeTokens, folder, deadlock });
      else {
        if (mergeTokens) process.stdout.write(`token merging ${mergeTokens.join(',')}: ${design.blocks.filter((b) => b.processes.some((p) => p.kind === 'token-merge')).length} merge units; token sizes linked from each to the later attention blocks (in the C++ only: the simulator does not model the link)\n`);
        if (pruned) process.stdout.write(`weight-block pruning ${pruned.density} (${pruned.block}×${pruned.block} blocks): ${pruned.sparseMatmuls} block-sparse matmuls storing ${pruned.storedTiles} of ${pruned.denseTiles} tiles\n`);
        printSummary(project, opts.out, opts.weights, bytes);
        if (write.foreign.length) process.stdout.write(`kept ${write.foreign.length} file(s) vitpipe did not write (--force)\n`);
        if (write.edited.length) process.stdout.write(`replaced ${write.edited.length} edited generated file(s) (--force): ${write.edited.join(', ')}\n`);
        if (write.stale.length) process.stdout.write(`removed ${write.stale.length} file(s) an earlier generate wrote that this design no longer has\n`);
      }
    });
}

/**
 * The wait-for cycle of a design that deadlocks in what its C simulation runs, else null: the whole network for 2
 * images, or with `--blocks` each of those blocks alone (their testbenches run them alone).
 */
function deadlockOf(design: Design, blocks?: string[]): string | null {
  if (blocks) {
    const alone = simulateBlocksAlone({ ...design, blocks: design.blocks.filter((b) => blocks.includes(b.name)) }, 2);
    const stuck = alone.find((b) => b.deadlock);
    return stuck ? `${stuck.name} alone: ${stuck.deadlock!.message}` : null;
  }
  const r = simulateDesign(design, { images: 2, blocks: false });
  return r.network && !r.network.completed ? (r.network.deadlock?.message ?? 'the simulation stopped without finishing') : null;
}

function printSummary(p: GeneratedProject, out: string, weights: string, bytes: number): void {
  const lines = [`design ${p.design}: ${p.blocks.length} blocks, ${p.files.length} files (${(bytes / 2 ** 20).toFixed(1)} MiB) in ${out}`];
  for (const b of p.blocks)
    lines.push(`  ${b.name.padEnd(12)} ${String(b.processes).padStart(3)} processes → ${String(b.functions).padStart(3)} C++ functions, ${String(b.streams).padStart(3)} streams; compared against ${b.compare.against}${b.compare.note ? ` (${b.compare.note})` : ''}`);
  const wide = p.blocks.flatMap((b) => b.widthNotes.map((n) => `${b.name} ${n}`));
  if (wide.length) lines.push(`  ${wide.length} stream(s) carry values wider than the IR declares, e.g. ${wide[0]}`);
  if (p.network) lines.push(`  ${'NETWORK'.padEnd(12)} vitpipe_top; compared against ${p.network.against}`);
  if (p.converters) lines.push(`  ${p.converters} link converter(s) between blocks whose ports differ`);
  lines.push('', `next: make -C ${out} -j2 csim REFS=${resolve(weights)}`);
  process.stdout.write(lines.join('\n') + '\n');
}
