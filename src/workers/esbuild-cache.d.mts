/** Types of esbuild-cache.mjs (plain JavaScript: the CLI launcher loads it before any TypeScript). */
export type SourceStamp = [file: string, size: number, mtimeMs: number];
export interface BundleRecord {
  /** Folder under BUNDLE_CACHE, named by the bundle's content. */
  dir: string;
  /** The entry module's file name in that folder. */
  entry: string;
  sources: SourceStamp[];
}
export const BUNDLE_CACHE: string;
export function freshBundle(name: string): BundleRecord | undefined;
export function cachedBundle(entry: string, name: string, options?: { splitting?: boolean }): Promise<string | undefined>;
export function taskBundleName(entry: string): string;
