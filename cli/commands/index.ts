import type { Command } from 'commander';
import { register as audit } from './audit.ts';
import { register as estimate } from './estimate.ts';
import { register as infer } from './infer.ts';
import { register as plan } from './plan.ts';
import { register as fifoSize } from './fifo-size.ts';
import { register as simulate } from './simulate.ts';
import { register as generate } from './generate.ts';
import { register as pruneSweep } from './prune-sweep.ts';
import { register as importModel } from './import.ts';
import { register as exportOnnx } from './export-onnx.ts';
import { register as quantize } from './quantize.ts';
import { register as explore } from './explore.ts';

/** Every command module exports `register(program)`; add new commands to this list. */
export const COMMANDS: Array<(program: Command) => void> = [importModel, exportOnnx, quantize, infer, audit, estimate, plan, simulate, fifoSize, generate, pruneSweep, explore];
