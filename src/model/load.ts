import { z } from 'zod';
import { fail, readJsonFile } from '../diag/index.ts';
import { MODEL_ZOO, ViTConfigSchema, checkViTConfig, modelNames, type ViTConfig } from './config.ts';

/** Resolve `--model`: a zoo name or a JSON file holding a ViTConfig. */
export function loadModel(nameOrFile: string): ViTConfig {
  const builtIn = MODEL_ZOO[nameOrFile];
  if (builtIn) return builtIn;
  if (!nameOrFile.endsWith('.json'))
    fail('UNKNOWN_NAME', `unknown model '${nameOrFile}'; expected one of ${modelNames().join(', ')} or a .json file`, '--model');
  const parsed = ViTConfigSchema.safeParse(readJsonFile(nameOrFile, 'BAD_MODEL', 'model file'));
  if (!parsed.success) fail('BAD_MODEL', z.prettifyError(parsed.error), nameOrFile);
  return checkViTConfig(parsed.data, nameOrFile);
}
