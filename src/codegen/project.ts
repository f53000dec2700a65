import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fail } from '../diag/index.ts';
import type { Design } from '../ir/index.ts';
import { MODEL_ZOO } from '../model/index.ts';
import { blockTypes, formatRefs, loadWeights, readRefsFileInt32, type HardwareTypes, type ModelWeights } from '../refs/index.ts';
import { emitBlock, type BlockCode, type PortGeometry } from './block.ts';
import { completeTypes, maskPaddingKeys } from './folder.ts';
import { blockTcl, makefile, topTcl } from './build-files.ts';
import { expectBlock, expectNetwork, type Expectation } from './expected.ts';
import { expectTokenReduced } from './expected-reduced.ts';
import type { SizeLink } from './emit/index.ts';
import { mergeSchedule } from '../merge/config.ts';
import type { TokenPruner } from '../engine/index.ts';
import { blockTestbench, compareTarget, networkTestbench, type CompareTarget } from './testbench.ts';
import { checkGeneratable } from './support.ts';
import { emitTop } from './top.ts';

export interface GenerateOptions {
  design: Design;
  /**
   * HG-PIPE refs directory, or a quantized folder (then `weights` must be given, from loadQuantizedFolder): weights and
   * tables, and the block inputs/outputs the testbenches use.
   */
  weightsDir: string;
  /** Integer widths per block (hardware-types.json). */
  types: HardwareTypes;
  /** Only these blocks (IR names); the whole-network testbench is generated only when every block is. */
  blocks?: string[];
  /** Already loaded weights (saves a few seconds when generating several designs; required for a quantized folder). */
  weights?: ModelWeights;
  /**
   * Token pruning (src/prune): the engine hook with the design's selection. Testbenches then feed and compare the
   * engine's hardware-mode tensors under that pruning (written to expected/), since the refs hold unpruned ones.
   */
  tokenPruner?: TokenPruner;
  /**
   * Token merging (src/merge, docs/TOKEN-MERGING.md): r per layer, the schedule the design's merge units were built
   * for. Testbenches compare against the engine with the same merging (proportional attention on).
   */
  mergeTokens?: number[];
}

export interface ProjectFile {
  /** Relative to the project directory. */
  path: string;
  content: string;
}

export interface BlockSummary {
  name: string;
  stem: string;
  processes: number;
  functions: number;
  streams: number;
  constElements: number;
  compare: CompareTarget;
  /** Streams whose HLS element type is wider than the IR's declared width. */
  widthNotes: string[];
}

export interface GeneratedProject {
  design: string;
  blocks: BlockSummary[];
  network?: CompareTarget;
  /** Link converters inserted between blocks whose ports disagree. */
  converters: number;
  files: ProjectFile[];
}

const runtime = (name: string): string => readFileSync(new URL(`./runtime/${name}`, import.meta.url), 'utf8');

/** Generate the HLS C++ project of a design (files in memory; see writeProject). */
export function generateProject(opts: GenerateOptions): GeneratedProject {
  checkGeneratable(opts.design);
  // a quantized folder's weights come loaded (loadQuantizedFolder); HG-PIPE's refs are loaded for the zoo model
  const weights = opts.weights
    ?? loadWeights(opts.weightsDir, MODEL_ZOO[opts.design.model] ?? fail('UNKNOWN_NAME', `design model '${opts.design.model}' is not in the model zoo`, 'design.model', 'a design planned from a quantized folder is generated with --weights <that folder>'));
  // the model's real token count; the blocks may run more slots (65 tokens in 66): the padding key is masked
  const realTokens = weights.config.tokens;
  if (opts.tokenPruner && opts.mergeTokens) fail('BAD_ARGUMENT', 'token pruning and token merging cannot be combined', 'generate options');
  // a schedule that merges nothing (r = 0) leaves the plain design, compared with the refs
  const mergeTokens = mergeUnits(opts.design, opts.mergeTokens);
  const reduced = opts.tokenPruner !== undefined || mergeTokens !== undefined;
  const design = reduced ? opts.design : maskPaddingKeys(opts.design, realTokens);
  const links = sizeLinks(design, realTokens);
  // typedefs the engine never fits (table outputs, block inputs) completed from the data; HG-PIPE's types have them all
  const types = completeTypes(design, weights, opts.types);
  const wanted = opts.blocks ? new Set(opts.blocks.map((b) => b.toUpperCase())) : undefined;
  if (wanted)
    for (const n of wanted)
      if (!design.blocks.some((b) => b.name === n))
        fail('UNKNOWN_NAME', `no block '${n}' in design ${design.name}; blocks are ${design.blocks.map((b) => b.name).join(', ')}`, '--blocks');
  const blocks = design.blocks.filter((b) => !wanted || wanted.has(b.name));
  // The network testbench feeds patch_embed_input and compares logits: only for a complete chain.
  const whole = blocks.length === design.blocks.length && blocks[0]?.kind === 'patch-embed' && blocks[blocks.length - 1].kind === 'head';

  const files: ProjectFile[] = [
    { path: 'include/vitpipe_hls.h', content: runtime('vitpipe_hls.h') },
    { path: 'include/vitpipe_tb.h', content: runtime('vitpipe_tb.h') },
  ];
  const summaries: BlockSummary[] = [];
  const codes: BlockCode[] = [];
  const writeExpected = (e: Expectation, t: CompareTarget): void => {
    if (t.source === 'engine') files.push({ path: `expected/${t.file}`, content: formatRefs(e.hardwareOutput) });
  };
  const pruned = opts.tokenPruner ? expectTokenReduced(design, weights, opts.types, opts.weightsDir, { pruner: opts.tokenPruner })
    : mergeTokens ? expectTokenReduced(design, weights, opts.types, opts.weightsDir, { mergeRates: mergeTokens }) : undefined;
  for (const b of blocks) {
    const code = emitBlock(b, weights, blockTypes(types, b.name), design.name, links.get(b.name));
    codes.push(code);
    const e = pruned?.blocks.get(b.name) ?? padded(expectBlock(b, weights, opts.types, opts.weightsDir), code, realTokens, opts.weightsDir);
    const target = compareTarget(e);
    writeExpected(e, target);
    // (its own name: a block's input can be the previous block's expected output, without the padding row)
    if (e.inputData) files.push({ path: `expected/${e.inputRefs}.in.txt`, content: formatRefs(e.inputData) });
    for (const t of e.taps) files.push({ path: `expected/${t.refs}.hw.txt`, content: formatRefs(t.hardware) });
    if (code.sizesIn && e.sizesIn) files.push({ path: `expected/${e.inputRefs}.sizes.txt`, content: formatRefs(e.sizesIn) });
    if (code.sizesOut && e.sizesOut) files.push({ path: `expected/${e.outputRefs}.sizes.txt`, content: formatRefs(e.sizesOut) });
    files.push(
      { path: `src/${code.stem}.h`, content: code.header },
      { path: `src/${code.stem}_params.h`, content: code.params },
      { path: `src/${code.stem}.cpp`, content: code.source },
      { path: `tb/tb_${code.stem}.cpp`, content: blockTestbench(code, b.name, e, target) },
      { path: `tcl/${code.stem}.tcl`, content: blockTcl(design, code, b.name) },
    );
    summaries.push({
      name: b.name, stem: code.stem, processes: b.processes.length, functions: code.functions, streams: b.streams.length,
      constElements: code.constElements, compare: target, widthNotes: code.widthNotes,
    });
  }
  let network: CompareTarget | undefined;
  let converters = 0;
  if (whole) {
    const top = emitTop(design, codes);
    converters = top.converters;
    const e = pruned?.network ?? padded(expectNetwork(weights, opts.types, opts.weightsDir), { input: codes[0].input, output: codes[codes.length - 1].output }, realTokens, opts.weightsDir);
    network = compareTarget(e);
    writeExpected(e, network);
    if (e.inputData) files.push({ path: `expected/${e.inputRefs}.in.txt`, content: formatRefs(e.inputData) });
    files.push(
      { path: 'src/top.h', content: top.header },
      { path: 'src/top.cpp', content: top.source },
      { path: 'tb/tb_network.cpp', content: networkTestbench(codes[0], codes[codes.length - 1], network, e.inputData !== undefined) },
      { path: 'tcl/top.tcl', content: topTcl(design, codes) },
    );
  }
  files.push({ path: 'Makefile', content: makefile(design, codes, whole) });
  const manifest = { generator: 'vitpipe generate', design: design.name, model: design.model, blocks: summaries, network, converters };
  files.push({ path: 'vitpipe-project.json', content: JSON.stringify(manifest, null, 1) + '\n' });
  files.push({ path: 'README.md', content: readme(design, summaries, network) });
  return { design: design.name, blocks: summaries, network, converters, files };
}

/**
 * The merge schedule when the design's merge units are the ones it makes (tokens in, tokens merged away, per
 * attention block), undefined when it merges nothing; a design with merge units needs its schedule.
 */
function mergeUnits(design: Design, rates: number[] | undefined): number[] | undefined {
  const units = design.blocks.flatMap((b) => b.processes.filter((p) => p.kind === 'token-merge' && p.side === 'emit').map((p) => ({ block: b.name, p })));
  if (!rates) {
    if (units.length) fail('BAD_DESIGN', `design ${design.name} has merge units: generate it with its --merge-tokens schedule`, design.name);
    return undefined;
  }
  const model = MODEL_ZOO[design.model];
  const sched = mergeSchedule(model?.tokens ?? 0, rates);
  const want = sched.attn.flatMap((t, n) => (t > sched.mlp[n] ? [`ATTN${n}: ${t} → ${sched.mlp[n]}`] : []));
  const have = units.map(({ block, p }) => (p.kind === 'token-merge' ? `${block}: ${p.tokensIn} → ${p.tokensOut}` : ''));
  if (want.join(', ') !== have.join(', '))
    fail('BAD_DESIGN', `design ${design.name} merges ${have.join(', ') || 'nothing'}, but --merge-tokens ${rates.join(',')} merges ${want.join(', ') || 'nothing'}`, design.name);
  return units.length ? rates : undefined;
}

/**
 * Token merging's size links (SizeLink): an attention block after a merge unit reads its tokens' sizes; one that
 * merges, or reads sizes, writes them on when a later attention block follows.
 */
function sizeLinks(design: Design, tokens: number): Map<string, SizeLink> {
  const attn = design.blocks.filter((b) => b.kind === 'attn');
  const links = new Map<string, SizeLink>();
  const elem = `vp_uint<${Math.max(1, Math.ceil(Math.log2(tokens + 1)))}>`;
  let merged = false;
  attn.forEach((b, k) => {
    const merges = b.processes.some((p) => p.kind === 'token-merge');
    const out = (merges || merged) && k + 1 < attn.length;
    if (merges || merged) links.set(b.name, { in: merged, out, elem, maxSize: tokens });
    merged ||= merges;
  });
  return links;
}

/**
 * A model whose tokens do not fill the blocks' token slots (65 tokens in 66): the testbench feeds the refs input with
 * zero padding rows (written to expected/) and compares only the real tokens of the output.
 */
function padded(e: Expectation, ports: { input: PortGeometry; output: PortGeometry }, realTokens: number, refsDir: string): Expectation {
  const { input, output } = ports;
  if (input.tokens <= realTokens) return e;
  const x = readRefsFileInt32(join(refsDir, `${e.inputRefs}.txt`), [realTokens, input.channels]);
  const inputData = new Int32Array(input.tokens * input.channels);
  inputData.set(x);
  return { ...e, inputData, ...(output.tokens > realTokens ? { outputTokens: realTokens } : {}) };
}

function readme(design: Design, blocks: BlockSummary[], network?: CompareTarget): string {
  const rows = blocks.map((b) => `| ${b.name} | \`src/${b.stem}.cpp\` | ${b.processes} | ${b.functions} | ${b.compare.against}${b.compare.note ? ` (${b.compare.note})` : ''} |`);
  return `# HLS project of design \`${design.name}\` (generated by vitpipe)

\`make csim REFS=<refs dir>\` builds the C simulation with g++ and runs every testbench; \`tcl/<block>.tcl\` runs the
Vitis HLS flow of one block (csim, csynth, cosim, export). See vitpipe's docs/CODEGEN.md.

| block | source | IR processes | C++ functions | compared against |
|---|---|---|---|---|
${rows.join('\n')}
${network ? `| network | \`src/top.cpp\` | — | — | ${network.against}${network.note ? ` (${network.note})` : ''} |\n` : ''}`;
}

/** Write the project's files under `dir` (creating folders). */
export function writeProject(project: GeneratedProject, dir: string): void {
  for (const f of project.files) {
    const path = join(dir, f.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.content);
  }
}
