import { Command, InvalidArgumentError, Option } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { fail, readInputText } from '../../src/diag/index.ts';
import { writeFloatModel } from '../../src/float/index.ts';
import { importCheckpoint, type ImportOptions } from '../../src/import/index.ts';
import { positiveInt, positiveNumber, printJson } from '../print.ts';
import { LIMITS } from '../limits.ts';

/** The typed import options, as commander hands them over (classes still a string, both norm flags apart). */
interface ImportCliOptions extends Omit<ImportOptions, 'classes' | 'normFirst'> {
  from: string;
  out: string;
  normFirst?: boolean;
  postNorm?: boolean;
  classes?: string;
  rename: [string, string][];
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('import')
    .description('bring a trained float ViT in: a PyTorch (.pth/.pt) or safetensors checkpoint → a vitpipe model folder')
    .requiredOption('--from <checkpoint>', 'PyTorch zip checkpoint (.pth/.pt) or .safetensors file')
    .requiredOption('--out <folder>', 'model folder to write (model.json + weights.safetensors)')
    .addOption(new Option('--arch <family>', 'model family').choices(['auto', 'torch-encoder', 'timm-vit']).default('auto'))
    .option('--name <name>', 'model name (default: the checkpoint file name)')
    .option('--heads <n>', 'attention heads (checkpoints do not record them)', positiveInt('--heads', LIMITS.heads))
    .option('--norm-first', 'pre-norm blocks (LayerNorm before attention and MLP; default for timm-vit)')
    .option('--post-norm', 'post-norm blocks (LayerNorm after each residual add; default for torch-encoder)')
    .addOption(new Option('--activation <fn>', 'MLP activation (default: relu for torch-encoder, gelu for timm-vit)').choices(['relu', 'gelu']))
    .option('--eps <e>', 'LayerNorm epsilon (default: 1e-5 torch-encoder, 1e-6 timm-vit)', positiveNumber('--eps', 1))
    .option('--image-size <n>', 'input image size (default: from the position embedding)', positiveInt('--image-size', LIMITS.imageSize))
    .option('--resize <n>', 'resize the shorter side of a photo to n before the crop (default: image size, timm-vit: image size / 0.875)', positiveInt('--resize', LIMITS.imageSize))
    .option('--crop <n>', 'centre crop (default: the image size)', positiveInt('--crop', LIMITS.imageSize))
    .addOption(new Option('--interpolation <filter>', 'photo resize filter (Pillow-exact); none = photos must already be the crop size').choices(['bicubic', 'bilinear', 'none']))
    .option('--mean <a,b,c>', 'per-channel mean of (v/255) (default: ImageNet 0.485,0.456,0.406)', triple('--mean'))
    .option('--std <a,b,c>', 'per-channel std (default: ImageNet 0.229,0.224,0.225)', triple('--std'))
    .option('--classes <names|file>', 'class names: comma-separated, or a file with one name a line')
    .option('--rename <old=new...>', 'rename tensors (exact names or prefixes) before recognition', renameRule, [])
    .option('--json', 'print one JSON document')
    .action((opts: ImportCliOptions) => {
      if (opts.normFirst && opts.postNorm) fail('BAD_ARGUMENT', 'give --norm-first or --post-norm, not both');
      const { from, out: _out, postNorm, normFirst, classes, json: _json, ...rest } = opts;
      const importOpts: ImportOptions = {
        ...rest,
        normFirst: normFirst ? true : postNorm ? false : undefined,
        classes: classes === undefined ? undefined : classNames(classes),
      };
      const { model, ignored, format } = importCheckpoint(from, importOpts);
      writeFloatModel(opts.out, model);
      const m = model.manifest;
      const doc = { out: opts.out, format, manifest: m, tensors: model.tensors.size, ignored };
      if (opts.json) return printJson(doc);
      const g = m.geometry;
      const lines = [
        `imported ${opts.from} (${format}, ${m.source.family}) → ${opts.out}`,
        `  ${m.name}: ${g.depth} layers, width ${g.width}, ${g.heads} heads, MLP ${g.mlpHidden}, ${g.tokens} tokens ` +
          `(${g.imageSize}×${g.imageSize}, patch ${g.patchSize}), ${g.numClasses} classes`,
        `  blocks: ${m.block.norm}-norm, ${m.block.activation}, eps ${m.block.eps}; head: ${m.head.norm ? 'LayerNorm + ' : ''}Linear`,
        `  input: resize ${m.input.resize} (${m.input.interpolation}), crop ${m.input.crop}, mean ${m.input.mean.join(',')}, std ${m.input.std.join(',')}`,
      ];
      if (ignored.length > 0) lines.push(`  ignored ${ignored.length} tensor(s) not part of the model: ${ignored.slice(0, 6).join(', ')}${ignored.length > 6 ? ', …' : ''}`);
      process.stdout.write(lines.join('\n') + '\n');
    });
}

function triple(name: string) {
  return (value: string): [number, number, number] => {
    const parts = value.split(',').map((s) => Number(s.trim()));
    if (parts.length !== 3 || parts.some((n) => !Number.isFinite(n)))
      throw new InvalidArgumentError(`${name} needs three comma-separated numbers (one per RGB channel), got '${value}'`);
    return parts as [number, number, number];
  };
}

function renameRule(value: string, previous: [string, string][]): [string, string][] {
  const eq = value.indexOf('=');
  if (eq <= 0 || eq === value.length - 1) throw new InvalidArgumentError(`--rename needs old=new, got '${value}'`);
  return [...previous, [value.slice(0, eq), value.slice(eq + 1)]];
}

/** `--classes`: a file with one name a line when such a file exists, else a comma-separated list. */
function classNames(value: string): string[] {
  if (existsSync(value) && statSync(value).isFile()) {
    const names = readInputText(value, { code: 'BAD_ARGUMENT', what: 'class-name file', maxBytes: 16 * 2 ** 20 }).split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
    if (names.length === 0) fail('BAD_ARGUMENT', 'class-name file is empty', value);
    return names;
  }
  const names = value.split(',').map((s) => s.trim());
  if (names.some((s) => s.length === 0)) fail('BAD_ARGUMENT', `empty class name in '${value}'`, '--classes');
  return names;
}
