import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { fail, readJsonFile } from '../diag/index.ts';
import type { BlockTypes } from '../ops/index.ts';

/**
 * The integer widths HG-PIPE's shipped HLS sources declare for every block (`hardware-types.json`:
 * `{ blocks: { ATTN0: { __attn_q_t: { signed, bits }, … }, … } }`). Hardware mode needs them; they travel with the
 * weights because they were fitted to calibration data (SPEC §0).
 */
const IntTypeSchema = z.object({ signed: z.boolean(), bits: z.number().int().min(1).max(64) });
const HardwareTypesSchema = z.object({ blocks: z.record(z.string(), z.record(z.string(), IntTypeSchema)) });

export type HardwareTypes = Readonly<Record<string, BlockTypes>>;

export const HARDWARE_TYPES_FILE = 'hardware-types.json';

/** Where to look for the widths when --types is not given: beside the refs directory, then inside it. */
export function defaultTypesFile(refsDir: string): string | undefined {
  return [join(refsDir, HARDWARE_TYPES_FILE), join(dirname(refsDir), HARDWARE_TYPES_FILE)].find((f) => existsSync(f));
}

export function loadHardwareTypes(file: string): HardwareTypes {
  return parseHardwareTypes(readJsonFile(file, 'BAD_ARGUMENT', 'hardware types'), file);
}

/** The widths from an already-parsed JSON document (the explorer page fetches the file); `file` names it in errors. */
export function parseHardwareTypes(raw: unknown, file: string): HardwareTypes {
  const parsed = HardwareTypesSchema.safeParse(raw);
  if (!parsed.success) fail('BAD_ARGUMENT', z.prettifyError(parsed.error), file);
  return parsed.data.blocks;
}

/** The types of one block, with a clear error when the file lacks the block. */
export function blockTypes(types: HardwareTypes, block: string, file = HARDWARE_TYPES_FILE): BlockTypes {
  const t = types[block];
  if (!t) fail('BAD_ARGUMENT', `no entry for block ${block}; expected blocks PATCH_EMBED, ATTN0.., MLP0.., HEAD`, file);
  return t;
}
