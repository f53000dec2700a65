import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The shared reference data (HG-PIPE refs, ImageNet sample), or undefined when it is not beside the checkout. */
export const SHARED_DIR = resolve(process.env.VITPIPE_SHARED ?? '../shared');
export const REFS_DIR = join(SHARED_DIR, 'hgpipe', 'refs');
export const HAVE_REFS = existsSync(join(REFS_DIR, 'patch_embed_input.txt'));
export const SKIP_NO_REFS = HAVE_REFS ? false : `needs HG-PIPE refs at ${REFS_DIR} (set VITPIPE_SHARED); skipped`;
export const TYPES_FILE = join(SHARED_DIR, 'hgpipe', 'hardware-types.json');
export const EXTRA_GOLDENS = join(SHARED_DIR, 'hgpipe', 'extra-goldens');
