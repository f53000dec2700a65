import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { fail } from '../diag/index.ts';
import { MODEL_ZOO, ViTConfigSchema, checkViTConfig, modelNames, type ViTConfig } from './config.ts';

/** Resolve `--model`: a zoo name or a JSON file holding a ViTConfig. */
export function loadModel(nameOrFile: string): ViTConfig {
  const builtIn = MODEL_ZOO[nameOrFile];
  if (builtIn) return builtIn;
  if (!nameOrFile.endsWith('.json'))
    fail('UNKNOWN_NAME', `unknown model '${nameOrFile}'; expected one of ${modelNames().join(', ')} or a .json file`, '--model');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(nameOrFile, 'utf8'));
  } catch (e) {
    fail('BAD_MODEL', `cannot read model file: ${(e as Error).message}`, nameOrFile);
  }
  const parsed = ViTConfigSchema.safeParse(raw);
  if (!parsed.success) fail('BAD_MODEL', z.prettifyError(parsed.error), nameOrFile);
  return checkViTConfig(parsed.data, nameOrFile);
}
