import { Command } from 'commander';
import { listImages } from '../../src/image/index.ts';
import { BIT_SETTINGS } from '../../src/model/index.ts';
import { checkBits, quantizeFolder, writeQuantizedFolder } from '../../src/quant/index.ts';
import { nonNegativeInt, positiveInt, printJson } from '../print.ts';
import { startProgress, type Progress } from '../progress.ts';

interface QuantizeCliOptions {
  weights: string;
  calib: string[];
  images?: number;
  bits: string;
  out: string;
  marginBits: number;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('quantize')
    .description("post-training quantization of a float model folder to HG-PIPE's table arithmetic")
    .requiredOption('--weights <folder>', 'float model folder from `vitpipe import`')
    .requiredOption('--calib <paths...>', 'calibration photos: files or folders (searched recursively)')
    .option('--images <n>', 'use the first n calibration photos (default: all)', positiveInt('--images'))
    .requiredOption('--bits <setting>', `weight/activation bits: ${BIT_SETTINGS.join(', ')}`)
    .requiredOption('--out <folder>', 'quantized folder to write')
    .option('--margin-bits <n>', 'extra bits over each intermediate’s calibrated range', nonNegativeInt('--margin-bits', 16), 1)
    .option('--json', 'print one JSON document')
    .action(async (opts: QuantizeCliOptions) => {
      const bits = checkBits(opts.bits);
      const files = listImages(opts.calib).slice(0, opts.images);
      const started = performance.now();
      const bars: Partial<Record<string, Progress>> = {};
      const q = await quantizeFolder(opts.weights, files, {
        bits,
        marginBits: opts.marginBits,
        onProgress: (stage, done, total) => {
          if (!process.stderr.isTTY && !opts.json && done === total) process.stderr.write(`quantize: ${stage} ${done}/${total}\n`);
          const bar = (bars[stage] ??= startProgress(`quantize: ${stage}`, total, !opts.json));
          bar.update(done);
          if (done === total) bar.stop();
        },
      });
      writeQuantizedFolder(opts.out, q);
      const seconds = (performance.now() - started) / 1000;
      const doc = { out: opts.out, bits, calibrationImages: files.length, seconds, manifest: q.manifest };
      if (opts.json) return printJson(doc);
      const m = q.manifest;
      process.stdout.write(
        `quantized ${opts.weights} → ${opts.out} (${bits}: ${m.quant.weightBits}-bit weights, ${m.quant.activationBits}-bit activations, ` +
          `${m.norm}-norm, ${m.activation}) from ${files.length} calibration photos in ${seconds.toFixed(1)} s\n`,
      );
    });
}
