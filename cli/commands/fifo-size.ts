import type { Command } from 'commander';
import { LIMITS } from '../limits.ts';
import { designToJson, loadDesign } from '../../src/ir/index.ts';
import { writeFilesAtomically } from '../files.ts';
import { type FifoSizeResult, simulateNetwork, sizeFifosConcurrently } from '../../src/sim/index.ts';
import { nonNegativeInt, printJson, positiveInt } from '../print.ts';

interface FifoSizeOptions {
  design: string;
  images: number;
  searchBits: string;
  out?: string;
  verifyNetwork?: number;
  json?: boolean;
}

function searchBitsOption(value: string): string {
  if (value === 'off') return value;
  return String(nonNegativeInt('--search-bits')(value));
}

export function register(program: Command): void {
  program
    .command('fifo-size')
    .description('smallest FIFO depths that keep a design deadlock-free at its interval, and the memory they save')
    .requiredOption('--design <name|design.json>', 'a built-in design (hgpipe-deit-tiny) or a design file')
    .option('--images <n>', 'images per isolated block run', positiveInt('--images', LIMITS.fifoImages), 3)
    .option('--search-bits <bits>', "binary-search below the peak for FIFOs of at least this many bits ('off' to skip)", searchBitsOption, '16384')
    .option('--out <sized.json>', 'write the sized design as a design file')
    .option('--verify-network <images>', 'also simulate the whole sized network with this many images', positiveInt('--verify-network', LIMITS.images))
    .option('--json', 'print one JSON document')
    .action(async (opts: FifoSizeOptions) => {
      const design = loadDesign(opts.design);
      const searchBits = opts.searchBits === 'off' ? Infinity : Number(opts.searchBits);
      const t0 = performance.now();
      const log = opts.json ? undefined : (m: string) => process.stderr.write(`  ${m}\n`);
      // Block kinds side by side on the machine's cores (the same result as one after the other).
      const r = await sizeFifosConcurrently(design, { images: opts.images, searchBits, onProgress: log });
      let network: { images: number; steadyInterval: number; completed: boolean; outputIntervals: number[] } | null = null;
      if (opts.verifyNetwork) {
        log?.(`verifying the whole sized network (${opts.verifyNetwork} images)`);
        const n = simulateNetwork(r.sized, { images: opts.verifyNetwork });
        network = { images: opts.verifyNetwork, steadyInterval: n.steadyInterval, completed: n.completed, outputIntervals: n.outputIntervals };
      }
      if (opts.out) writeFilesAtomically([{ path: opts.out, content: designToJson(r.sized) }]);
      const wallSeconds = (performance.now() - t0) / 1000;
      if (opts.json) {
        const { sized: _sized, ...rest } = r;
        printJson({ ...rest, network, out: opts.out ?? null, wallSeconds: Number(wallSeconds.toFixed(2)) });
      } else process.stdout.write(formatText(r, network, opts.out, wallSeconds));
      if (r.verification.some((v) => v.deadlock || v.sizedInterval > v.interval) || (network && !network.completed)) process.exitCode = 1;
    });
}

function formatText(r: FifoSizeResult, network: { images: number; steadyInterval: number; completed: boolean } | null, out: string | undefined, wall: number): string {
  const f = (x: number) => x.toLocaleString('en-US');
  const lines = [`FIFO sizing of ${r.design}`, `method: ${r.method}`, ''];
  lines.push(`  ${'kind'.padEnd(12)}${'stream'.padEnd(22)}${'width'.padStart(7)}${'original'.padStart(10)}${'peak'.padStart(8)}${'sized'.padStart(8)}  method   ×blocks`);
  for (const x of r.fifos)
    if (x.original > 2 || x.sized !== x.original)
      lines.push(`  ${x.kind.padEnd(12)}${x.stream.padEnd(22)}${String(x.lanes * x.bits).padStart(7)}${f(x.original).padStart(10)}${f(x.peak).padStart(8)}${f(x.sized).padStart(8)}  ${x.method.padEnd(10)}${x.blocks}`);
  lines.push(`  (${r.fifos.filter((x) => x.original <= 2 && x.sized === x.original).length} depth-2 FIFOs per block kind unchanged)`);
  const t = r.totals;
  lines.push(
    '',
    `FIFO memory (all blocks, excluding inter-block links): ${f(t.original.bits)} → ${f(t.sized.bits)} bits, saving ${f(t.savedBits)} bits (${((100 * t.savedBits) / t.original.bits).toFixed(1)} %)`,
    `  18-Kb BRAM for memory FIFOs deeper than 64: ${f(t.original.bram18)} → ${f(t.sized.bram18)} (saves ${f(t.savedBram18)}); LUTRAM (64-bit) for the others: ${f(t.original.lutram64)} → ${f(t.sized.lutram64)}`,
    '',
    'verification, each distinct block structure alone (original → sized):',
  );
  for (const v of r.verification)
    lines.push(`  ${v.block.padEnd(12)} interval ${f(v.interval)} → ${f(v.sizedInterval)}, first-image latency ${f(v.latency)} → ${f(v.sizedLatency)}${v.deadlock ? '  DEADLOCK' : ''}`);
  if (network) lines.push(`whole sized network, ${network.images} images: steady interval ${f(network.steadyInterval)}${network.completed ? '' : ' — DEADLOCK'}`);
  if (out) lines.push(`sized design written to ${out}`);
  lines.push(`${r.evaluations} block simulations in ${wall.toFixed(1)} s`);
  return lines.join('\n') + '\n';
}
