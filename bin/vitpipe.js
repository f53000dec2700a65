#!/usr/bin/env node
// Launcher. Runs the CLI from a cached esbuild bundle of cli/main.ts, rebuilt whenever a source changed
// (src/workers/esbuild-cache.mjs): no build step, and no TypeScript loading at every start (0.8 s). Through tsx
// instead when the bundle cannot be built, or when VITPIPE_TSX=1 (e.g. to debug against the sources).
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cachedBundle } from '../src/workers/esbuild-cache.mjs';

const bundle = process.env.VITPIPE_TSX === '1' ? undefined : await cachedBundle(fileURLToPath(new URL('../cli/main.ts', import.meta.url)), 'cli', { splitting: true });
if (bundle) {
  await import(pathToFileURL(bundle).href);
} else {
  (await import('tsx/esm/api')).register();
  await import('../cli/main.ts');
}
