/** Valid inputs of every kind, made once per fuzz run in its work folder; the cases mutate copies of them. */
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEVICES } from '../../src/cost/index.ts';
import { writeFloatModel } from '../../src/float/index.ts';
import { listImages } from '../../src/image/index.ts';
import { importCheckpoint } from '../../src/import/index.ts';
import { designToJson, loadDesign } from '../../src/ir/index.ts';
import { MODEL_ZOO } from '../../src/model/index.ts';
import { CIFAR_CHECKPOINT, CIFAR_DIR, HAVE_CIFAR, cifarImportOptions } from '../cifar.ts';
import { IMAGENET_SAMPLE, REFS_DIR } from '../common.ts';

export interface Fixtures {
  work: string;
  design: string;
  model: unknown;
  device: unknown;
  settings: unknown;
  /** merge-sweep settings: the unmerged model and one merging schedule. */
  mergeSettings: unknown;
  /** HG-PIPE's refs, the hardware types and two photos (absent without ../shared). */
  refs?: { dir: string; types: string; photos: string[] };
  /** The CIFAR ViT: its checkpoint, its imported model folder and two of its test photos (absent without ../shared). */
  cifar?: { checkpoint: string; folder: string; photos: string[] };
}

export function makeFixtures(work: string): Fixtures {
  const design = join(work, 'design.json');
  writeFileSync(design, designToJson(loadDesign('hgpipe-deit-tiny')));
  const settings = [{ name: 'none' }, { name: 'keep 0.7 @ 3', tokens: { stages: [{ block: 3, keep: 0.7 }], fuse: true } }];
  const mergeSettings = [{ name: 'none' }, { name: 'merge 8', mergeTokens: 8 }];
  const f: Fixtures = { work, design, model: MODEL_ZOO['deit-tiny'], device: DEVICES.vck190, settings, mergeSettings };
  if (existsSync(join(REFS_DIR, 'patch_embed_input.txt'))) {
    const dir = join(work, 'refs');
    cpSync(REFS_DIR, dir, { recursive: true });
    const types = join(work, 'hardware-types.json');
    copyFileSync(join(REFS_DIR, '..', 'hardware-types.json'), types);
    const photos = listImages(IMAGENET_SAMPLE).slice(0, 2).map((p, i) => {
      const to = join(work, `photo${i}.jpg`);
      copyFileSync(p, to);
      return to;
    });
    f.refs = { dir, types, photos };
  }
  if (HAVE_CIFAR) {
    const folder = join(work, 'cifar-model');
    writeFloatModel(folder, importCheckpoint(CIFAR_CHECKPOINT, cifarImportOptions()).model);
    const checkpoint = join(work, 'cifar.pth');
    copyFileSync(CIFAR_CHECKPOINT, checkpoint);
    const photoDir = join(work, 'cifar-photos');
    mkdirSync(photoDir);
    const classDir = join(CIFAR_DIR, 'test', readdirSync(join(CIFAR_DIR, 'test')).sort()[0]);
    const photos = readdirSync(classDir).sort().slice(0, 2).map((n) => {
      copyFileSync(join(classDir, n), join(photoDir, n));
      return join(photoDir, n);
    });
    f.cifar = { checkpoint, folder, photos };
  }
  return f;
}
