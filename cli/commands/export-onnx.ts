import type { Command } from 'commander';
import { statSync } from 'node:fs';
import { readFloatModel } from '../../src/float/index.ts';
import { DEFAULT_OPSET, MAX_OPSET, MIN_OPSET, exportOnnxFile } from '../../src/onnx/index.ts';
import { positiveInt, printJson } from '../print.ts';

interface ExportOnnxOptions {
  weights: string;
  out: string;
  opset: number;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('export-onnx')
    .description('write a float model folder as a standard ONNX graph (input: normalised image batch, output: logits)')
    .requiredOption('--weights <folder>', 'float model folder from `vitpipe import`')
    .requiredOption('--out <file>', 'ONNX file to write')
    .option('--opset <n>', `ONNX opset (${MIN_OPSET}–${MAX_OPSET})`, positiveInt('--opset'), DEFAULT_OPSET)
    .option('--json', 'print one JSON document')
    .action((opts: ExportOnnxOptions) => {
      const model = readFloatModel(opts.weights);
      exportOnnxFile(model, opts.out, { opset: opts.opset });
      const g = model.manifest.geometry;
      const doc = {
        out: opts.out,
        bytes: statSync(opts.out).size,
        opset: opts.opset,
        input: { name: 'input', shape: ['batch', g.inChannels, g.imageSize, g.imageSize] },
        output: { name: 'logits', shape: ['batch', g.numClasses] },
      };
      if (opts.json) return printJson(doc);
      process.stdout.write(
        `wrote ${opts.out} (${(doc.bytes / 1e6).toFixed(2)} MB, opset ${opts.opset}): input [batch, ${g.inChannels}, ${g.imageSize}, ${g.imageSize}] → logits [batch, ${g.numClasses}]\n`,
      );
    });
}
