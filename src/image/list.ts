import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../diag/index.ts';

const IMAGE_EXT = /\.(jpe?g|png)$/i;

/** JPEG (FF D8 FF) or PNG (89 'PNG') by content, whatever the file is called. */
function sniff(file: string): 'jpeg' | 'png' | undefined {
  const head = Buffer.alloc(8);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    readSync(fd, head, 0, 8, 0);
  } catch (e) {
    fail('IO_ERROR', `cannot read: ${(e as Error).message}`, file);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (head.readUInt32BE(0) === 0x89504e47 && head.readUInt32BE(4) === 0x0d0a1a0a) return 'png';
  return undefined;
}

/**
 * Expand files and folders into a list of image files. A folder contributes every .jpg/.jpeg/.png inside it or its
 * sub-folders (e.g. one folder per class), sorted by path; a file named explicitly must be a JPEG or PNG by content. Order of the arguments
 * is kept. Throws a VitpipeError naming the path when it is missing, not an image, or a folder without images.
 */
export function listImages(pathOrDir: string | string[]): string[] {
  const inputs = Array.isArray(pathOrDir) ? pathOrDir : [pathOrDir];
  if (inputs.length === 0) fail('BAD_ARGUMENT', 'no image file or folder given');
  const out: string[] = [];
  for (const input of inputs) {
    let st;
    try {
      st = statSync(input);
    } catch {
      fail('IO_ERROR', 'no such file or folder', input);
    }
    if (st.isDirectory()) {
      const found = imagesUnder(input);
      if (found.length === 0) fail('BAD_IMAGE', 'folder holds no .jpg, .jpeg or .png file (searched recursively)', input);
      out.push(...found);
    } else {
      if (!sniff(input))
        fail('BAD_IMAGE', 'not a JPEG or PNG image', input, 'pass .jpg/.jpeg/.png files or a folder of them');
      out.push(input);
    }
  }
  return out;
}

/** Image files under `dir`, recursively, in sorted path order (names compared per level, so `a/b` before `a0`). */
function imagesUnder(dir: string, depth = 0): string[] {
  if (depth > 32) fail('BAD_IMAGE', 'folders nested more than 32 deep (a link cycle?)', dir);
  const out: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const d of entries) {
    const path = join(dir, d.name);
    if (d.isDirectory()) out.push(...imagesUnder(path, depth + 1));
    else if (IMAGE_EXT.test(d.name) && (d.isFile() || d.isSymbolicLink())) out.push(path);
  }
  return out;
}
