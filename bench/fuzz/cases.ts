/**
 * One fuzz case per input kind: a mutated copy of a valid input (or a bad flag, or a bad output path) given to a
 * command that reads it. Every case also carries the same command on valid input, whose time sets its hang limit.
 */
import { cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fixtures } from './fixtures.ts';
import { mutateBytes, mutateJsonText, mutateRefsText, NUMBERS, pickWith, type Rand } from './mutate.ts';

export interface Case {
  command: string;
  /** Names the command on valid input, for its timing. */
  template: string;
  args: string[];
  validArgs: string[];
  /** What was mutated, for the report. */
  mutated: string;
  /** Input files outside the case folder that must stay unchanged (the case folder is checked whole). */
  inputs: string[];
  /** Undo a mutation of a shared fixture. */
  restore?: () => void;
  /** Seconds after which the case is a hang, for commands whose valid form serves until stopped (no valid run to time). */
  limitS?: number;
}

/** Queue URLs no worker can use: bad schemes and syntax, closed or impossible ports, an address nobody answers. */
const BAD_QUEUE_URLS = ['redis://127.0.0.1:1', 'rediss://127.0.0.1:1', 'redis://u:secret@127.0.0.1:1', 'http://127.0.0.1:6379', 'redis://', 'redis://127.0.0.1:99999', 'redis://[::1', '', 'redis://no.such.host:6379', 'redis://10.255.255.1:6379'];
/** --port values that are not ports (0, 1 and -0 would start a server). */
const BAD_PORTS = NUMBERS.filter((n) => !['0', '1', '-0'].includes(n));
const BAD_HOSTS = ['999.1.1.1', '10.9.9.9', '::7', '', 'no.such.host', '127.0.0.1:80'];

type OutputMode = 'fresh' | 'existing' | 'onto-folder' | 'under-file' | 'unwritable';

export class CaseMaker {
  private readonly pick: <T>(xs: readonly T[]) => T;
  constructor(private readonly f: Fixtures, private readonly rand: Rand) {
    this.pick = pickWith(rand);
  }

  /** A random case in `dir` (a fresh folder the runner checks for damage), or undefined when its fixture is absent. */
  make(dir: string): Case | undefined {
    const kinds = [this.design, this.model, this.device, this.refs, this.types, this.photo, this.floatFolder, this.checkpoint, this.settings, this.flag, this.service];
    return this.pick(kinds).call(this, dir);
  }

  /** An output path in one of the ways users get them wrong; the valid run writes to a fresh path. */
  private output(dir: string, name: string, kind: 'file' | 'folder'): { path: string; valid: string; mode: OutputMode } {
    const valid = join(dir, 'valid-out', name);
    const mode = this.pick<OutputMode>(['fresh', 'fresh', 'existing', 'existing', 'onto-folder', 'under-file', 'unwritable']);
    switch (mode) {
      case 'fresh': return { path: join(dir, 'new', 'deeper', name), valid, mode };
      case 'existing': {
        const path = join(dir, name);
        if (kind === 'file') writeFileSync(path, 'the user\'s earlier file');
        else {
          mkdirSync(path);
          writeFileSync(join(path, 'mine.txt'), 'the user\'s own file');
        }
        return { path, valid, mode };
      }
      case 'onto-folder': {
        const path = join(dir, 'a-folder');
        mkdirSync(path, { recursive: true });
        if (kind === 'folder') writeFileSync(join(path, 'mine.txt'), 'x');
        return { path: kind === 'file' ? path : join(dir, 'a-file'), valid, mode };
      }
      case 'under-file': {
        writeFileSync(join(dir, 'plain-file'), 'x');
        return { path: join(dir, 'plain-file', name), valid, mode };
      }
      case 'unwritable': return { path: join('/sys/kernel/vitpipe-fuzz', name), valid, mode };
    }
  }

  private jsonInput(dir: string, name: string, doc: unknown): string {
    const file = join(dir, name);
    writeFileSync(file, mutateJsonText(doc, this.rand));
    return file;
  }

  private design(dir: string): Case {
    const bad = this.jsonInput(dir, 'design.json', JSON.parse(readFileSync(this.f.design, 'utf8')));
    const refs = this.f.refs;
    const [command, args] = this.pick<[string, string[]]>([
      ['simulate', ['--images', '2', '--no-network']],
      ['estimate', ['--device', 'vck190']],
      ['fifo-size', ['--out', '@out']],
      ...(refs ? [['generate', ['--weights', refs.dir, '--blocks', 'MLP0', '--out', '@out']] as [string, string[]]] : []),
    ]);
    const out = this.output(dir, command === 'generate' ? 'project' : 'sized.json', command === 'generate' ? 'folder' : 'file');
    const fill = (design: string, o: string) => [command, '--design', design, ...args.map((a) => (a === '@out' ? o : a))];
    return { command, template: `design:${command}`, args: fill(bad, out.path), validArgs: fill(this.f.design, out.valid), mutated: `design file (${out.mode} output)`, inputs: [] };
  }

  private model(dir: string): Case {
    const bad = this.jsonInput(dir, 'model.json', this.f.model);
    const good = join(dir, 'good-model.json');
    writeFileSync(good, JSON.stringify(this.f.model));
    const out = this.output(dir, 'plan.json', 'file');
    const fill = (m: string, o: string) => ['plan', '--model', m, '--device', 'vck190', '--out', o];
    return { command: 'plan', template: 'model:plan', args: fill(bad, out.path), validArgs: fill(good, out.valid), mutated: `model file (${out.mode} output)`, inputs: [] };
  }

  private device(dir: string): Case {
    const bad = this.jsonInput(dir, 'device.json', this.f.device);
    const good = join(dir, 'good-device.json');
    writeFileSync(good, JSON.stringify(this.f.device));
    const command = this.pick(['plan', 'estimate']);
    const fill = (d: string) => (command === 'plan' ? ['plan', '--model', 'hgpipe-deit-tiny', '--device', d] : ['estimate', '--design', 'hgpipe-deit-tiny', '--device', d]);
    return { command, template: `device:${command}`, args: fill(bad), validArgs: fill(good), mutated: 'device file', inputs: [] };
  }

  private refs(dir: string): Case | undefined {
    const refs = this.f.refs;
    if (!refs) return undefined;
    const files = readdirSync(refs.dir).filter((n) => /_(scalars|table_m|weight|bias|weights)\.txt$/.test(n));
    const file = join(refs.dir, this.pick(files));
    const original = readFileSync(file, 'latin1');
    writeFileSync(file, mutateRefsText(original, this.rand));
    const input = join(refs.dir, 'patch_embed_input.txt');
    const command = this.pick(['infer', 'infer', 'audit']);
    const args = command === 'infer'
      ? ['infer', '--weights', refs.dir, '--patches', input, '--mode', this.pick(['ideal', 'hardware']), '--types', refs.types, '--threads', '1']
      : ['audit', '--weights', refs.dir, '--image', refs.photos[0], '--types', refs.types, '--threads', '1'];
    void dir;
    return { command, template: `refs:${command}`, args, validArgs: args, mutated: `weights file ${file.split('/').pop()}`, inputs: [], restore: () => writeFileSync(file, original) };
  }

  private types(dir: string): Case | undefined {
    const refs = this.f.refs;
    if (!refs) return undefined;
    const bad = this.jsonInput(dir, 'types.json', JSON.parse(readFileSync(refs.types, 'utf8')));
    const fill = (t: string) => ['infer', '--weights', refs.dir, '--patches', join(refs.dir, 'patch_embed_input.txt'), '--mode', 'hardware', '--types', t, '--threads', '1'];
    return { command: 'infer', template: 'types:infer', args: fill(bad), validArgs: fill(refs.types), mutated: 'hardware-types file', inputs: [] };
  }

  private photo(dir: string): Case | undefined {
    const useCifar = this.f.cifar && (!this.f.refs || this.rand() < 0.4);
    const source = useCifar ? this.f.cifar!.photos[0] : this.f.refs?.photos[0];
    if (!source) return undefined;
    const bad = join(dir, useCifar ? 'photo.png' : 'photo.jpg');
    writeFileSync(bad, mutateBytes(readFileSync(source), this.rand));
    if (useCifar) {
      const folder = this.f.cifar!.folder;
      const quantize = this.rand() < 0.3;
      const out = this.output(dir, 'quantized', 'folder');
      const fill = (p: string, o: string) => (quantize ? ['quantize', '--weights', folder, '--calib', p, '--bits', 'w8a8', '--out', o] : ['infer', '--weights', folder, '--image', p, '--threads', '1']);
      return { command: quantize ? 'quantize' : 'infer', template: `photo:${quantize ? 'quantize' : 'infer-float'}`, args: fill(bad, out.path), validArgs: fill(source, out.valid), mutated: 'photo (PNG)', inputs: [] };
    }
    const refs = this.f.refs!;
    const command = this.pick(['infer', 'audit']);
    const fill = (p: string) => [command, '--weights', refs.dir, '--image', p, '--threads', '1', ...(command === 'infer' ? ['--mode', this.pick(['ideal', 'hardware'])] : [])];
    return { command, template: `photo:${command}`, args: fill(bad), validArgs: fill(source), mutated: 'photo (JPEG)', inputs: [] };
  }

  private floatFolder(dir: string): Case | undefined {
    const cifar = this.f.cifar;
    if (!cifar) return undefined;
    const folder = join(dir, 'model');
    cpSync(cifar.folder, folder, { recursive: true });
    const manifest = join(folder, 'model.json');
    const weights = join(folder, 'weights.safetensors');
    const damaged = this.rand() < 0.5 ? 'model.json' : 'weights.safetensors';
    if (damaged === 'model.json') writeFileSync(manifest, mutateJsonText(JSON.parse(readFileSync(manifest, 'utf8')), this.rand));
    else writeFileSync(weights, mutateBytes(readFileSync(weights), this.rand));
    const command = this.pick(['infer', 'export-onnx', 'quantize']);
    const out = this.output(dir, command === 'quantize' ? 'quantized' : 'model.onnx', command === 'quantize' ? 'folder' : 'file');
    const fill = (m: string, o: string) =>
      command === 'infer' ? ['infer', '--weights', m, '--image', cifar.photos[0], '--threads', '1']
        : command === 'export-onnx' ? ['export-onnx', '--weights', m, '--out', o]
          : ['quantize', '--weights', m, '--calib', ...cifar.photos, '--bits', this.pick(['w8a8', 'w4a4']), '--out', o];
    return { command, template: `float:${command}`, args: fill(folder, out.path), validArgs: fill(cifar.folder, out.valid), mutated: `model folder ${damaged} (${out.mode} output)`, inputs: [] };
  }

  private checkpoint(dir: string): Case | undefined {
    const cifar = this.f.cifar;
    if (!cifar) return undefined;
    const bad = join(dir, 'model.pth');
    writeFileSync(bad, mutateBytes(readFileSync(cifar.checkpoint), this.rand));
    const out = this.output(dir, 'imported', 'folder');
    const fill = (c: string, o: string) => ['import', '--from', c, '--arch', 'torch-encoder', '--heads', '8', '--image-size', '32', '--out', o];
    return { command: 'import', template: 'checkpoint:import', args: fill(bad, out.path), validArgs: fill(cifar.checkpoint, out.valid), mutated: `checkpoint (${out.mode} output)`, inputs: [cifar.checkpoint] };
  }

  private settings(dir: string): Case | undefined {
    const refs = this.f.refs;
    if (!refs) return undefined;
    const command = this.pick(['prune-sweep', 'merge-sweep']);
    const doc = command === 'prune-sweep' ? this.f.settings : this.f.mergeSettings;
    const bad = this.jsonInput(dir, 'settings.json', doc);
    const good = join(dir, 'good-settings.json');
    writeFileSync(good, JSON.stringify(doc));
    const out = this.output(dir, 'table.json', 'file');
    const fill = (s: string, o: string) => [command, '--weights', refs.dir, '--image', ...refs.photos, '--device', 'vck190', '--settings', s, '--no-simulate', '--threads', '1', '--out', o];
    return { command, template: `settings:${command}`, args: fill(bad, out.path), validArgs: fill(good, out.valid), mutated: `settings file (${out.mode} output)`, inputs: [] };
  }

  /** A valid command with one numeric flag replaced by a token that is not a valid value. */
  private flag(dir: string): Case {
    const n = this.pick(NUMBERS);
    const [command, args, flag, good] = this.pick<[string, string[], string, string]>([
      ['simulate', ['--design', 'hgpipe-deit-tiny', '--no-network'], '--images', '1'],
      ['simulate', ['--design', 'hgpipe-deit-tiny', '--images', '1', '--no-network'], '--clock-mhz', '300'],
      ['plan', ['--model', 'hgpipe-deit-tiny', '--device', 'vck190'], '--max-utilization', '0.8'],
      ['plan', ['--model', 'hgpipe-deit-tiny', '--device', 'vck190'], '--target-fps', '5000'],
      ['fifo-size', ['--design', 'hgpipe-deit-tiny'], '--search-bits', '16384'],
      ['fifo-size', ['--design', 'hgpipe-deit-tiny'], '--images', '3'],
      ['estimate', ['--design', 'hgpipe-deit-tiny'], '--device', 'vck190'],
      ['plan', ['--model', 'hgpipe-deit-tiny', '--device', 'vck190', '--no-verify'], '--merge-tokens', '8'],
      ['simulate', ['--design', 'hgpipe-deit-tiny', '--images', '1', '--no-network', '--device', 'vck190'], '--merge-tokens', '8'],
    ]);
    void dir;
    return { command, template: `flag:${command}${flag}`, args: [command, ...args, flag, n], validArgs: [command, ...args, flag, good], mutated: `${flag} '${n}'`, inputs: [] };
  }

  /** The commands that serve until stopped (worker, explore) and queue-clean, given values that must end them with an error. */
  private service(dir: string): Case {
    const url = this.pick(BAD_QUEUE_URLS);
    const [command, args, mutated] = this.pick<[string, string[], string]>([
      ['worker', ['--queue', url, '--threads', '1', '--data-root', dir], `--queue '${url}'`],
      ['worker', ['--queue', 'redis://127.0.0.1:1', '--threads', this.pick(NUMBERS)], '--threads with an unreachable queue'],
      ['queue-clean', ['--queue', url, this.pick(['--finished', '--all'])], `--queue '${url}'`],
      ['explore', ['--no-build', '--port', this.pick(BAD_PORTS)], '--port'],
      ['explore', ['--no-build', '--port', '0', '--host', this.pick(BAD_HOSTS)], '--host'],
    ]);
    return { command, template: `service:${command}`, args: [command, ...args], validArgs: [], mutated, inputs: [], limitS: 30 };
  }
}
