import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ImportOptions } from '../src/import/index.ts';
import { SHARED_DIR } from './common.ts';

/** The trained CIFAR-10 ViT of ../shared/cifar10 and the flags its acceptance command imports it with. */
export const CIFAR_DIR = join(SHARED_DIR, 'cifar10');
export const CIFAR_CHECKPOINT = join(CIFAR_DIR, 'vit_cifar10.pth');
export const HAVE_CIFAR = existsSync(CIFAR_CHECKPOINT) && existsSync(join(CIFAR_DIR, 'test'));

export function cifarImportOptions(): ImportOptions {
  return {
    arch: 'torch-encoder',
    heads: 8,
    imageSize: 32,
    mean: [0.4914, 0.4822, 0.4465],
    std: [0.2023, 0.1994, 0.201],
    classes: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
  };
}
