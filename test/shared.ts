import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The shared reference data (HG-PIPE refs, ImageNet sample), or undefined when it is not beside the checkout. */
export const SHARED_DIR = resolve(process.env.VITPIPE_SHARED ?? '../shared');
export const REFS_DIR = join(SHARED_DIR, 'hgpipe', 'refs');
export const HAVE_REFS = existsSync(join(REFS_DIR, 'patch_embed_input.txt'));
export const SKIP_NO_REFS = HAVE_REFS ? false : `needs HG-PIPE refs at ${REFS_DIR} (set VITPIPE_SHARED); skipped`;
export const TYPES_FILE = join(SHARED_DIR, 'hgpipe', 'hardware-types.json');
export const EXTRA_GOLDENS = join(SHARED_DIR, 'hgpipe', 'extra-goldens');
export const CIFAR_DIR = join(SHARED_DIR, 'cifar10');
export const CIFAR_CHECKPOINT = join(CIFAR_DIR, 'vit_cifar10.pth');
export const HAVE_CIFAR = existsSync(CIFAR_CHECKPOINT) && existsSync(join(CIFAR_DIR, 'float-reference-logits.csv'));
export const SKIP_NO_CIFAR = HAVE_CIFAR ? false : `needs the CIFAR-10 model at ${CIFAR_DIR} (set VITPIPE_SHARED); skipped`;
export const IMAGENET_SAMPLE = join(SHARED_DIR, 'imagenet-sample');
/** The CIFAR acceptance command's import flags (issue: bring your own trained ViT). */
export const CIFAR_IMPORT_FLAGS = [
  '--arch', 'torch-encoder', '--heads', '8', '--image-size', '32',
  '--mean', '0.4914,0.4822,0.4465', '--std', '0.2023,0.1994,0.2010',
  '--classes', 'airplane,automobile,bird,cat,deer,dog,frog,horse,ship,truck',
];

/** Run the CLI as a user would (a separate process, from the repo root): exit code and both streams. */
export function vitpipe(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/vitpipe.js', ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
