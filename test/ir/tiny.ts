import { MODEL_ZOO, type ViTConfig } from '../../src/model/index.ts';

/** A small geometry every test can simulate quickly; HG-PIPE's parallelism divides it. */
export const TINY: ViTConfig = { ...MODEL_ZOO['hgpipe-deit-tiny'], name: 'tiny-test', imageSize: 48, patchSize: 8, width: 48, mlpRatio: 4, numClasses: 12, tokens: 28, depth: 2 };
