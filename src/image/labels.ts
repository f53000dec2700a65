import { fail } from '../diag/index.ts';
import { IMAGENET_CLASS_TABLE } from './imagenet-classes.ts';

export interface ImageNetClass {
  /** WordNet id, e.g. `n01440764`. */
  wnid: string;
  /** Human-readable class name, e.g. `tench`. */
  name: string;
}

function parseTable(text: string): ImageNetClass[] {
  const classes = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const space = line.indexOf(' ');
      return { wnid: line.slice(0, space), name: line.slice(space + 1) };
    });
  // Labels are ranks of the sorted ids; keep the table honest about that.
  for (let i = 1; i < classes.length; i++)
    if (classes[i - 1].wnid >= classes[i].wnid) throw new Error(`imagenet-classes: ids not sorted at ${i}`);
  return classes;
}

/** Index = ImageNet label (0-based class index of the 1000 logits). */
export const IMAGENET_CLASSES: readonly ImageNetClass[] = Object.freeze(parseTable(IMAGENET_CLASS_TABLE));

const byWnid = new Map(IMAGENET_CLASSES.map((c, i) => [c.wnid, i]));

/**
 * The ImageNet label of a file named after its WordNet id (`…/n01443537_goldfish.JPEG` → 1), or undefined when the
 * name does not start with a known id.
 */
export function classOfFile(fileName: string): number | undefined {
  const base = fileName.slice(Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\')) + 1);
  const m = /^(n\d{8})(?![0-9])/.exec(base);
  return m ? byWnid.get(m[1]) : undefined;
}

/** Class name of label `i` (0..999). */
export function labelOfClass(i: number): string {
  if (!Number.isInteger(i) || i < 0 || i >= IMAGENET_CLASSES.length)
    fail('BAD_ARGUMENT', `ImageNet class index ${i} is not an integer in 0..${IMAGENET_CLASSES.length - 1}`);
  return IMAGENET_CLASSES[i].name;
}
