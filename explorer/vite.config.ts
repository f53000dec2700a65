import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** Where `npm run build:explorer` (and `vitpipe explore`, when the build is missing or stale) writes the page. */
export const EXPLORER_DIST = fileURLToPath(new URL('./dist', import.meta.url));
const stub = fileURLToPath(new URL('./src/node-stub.ts', import.meta.url));
const workersStub = fileURLToPath(new URL('./src/workers-stub.ts', import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  // The library's Node-only modules are reachable through its layer barrels but never called by the page.
  // src/workers (Node threads) gives way to the page's own Web Workers.
  resolve: {
    alias: [
      { find: /^(node:[a-z_/]+|sharp|piscina|protobufjs)$/, replacement: stub },
      { find: /^(\.\.\/)+workers\/index\.ts$/, replacement: workersStub },
    ],
  },
  build: { outDir: EXPLORER_DIST, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4000 },
  worker: { format: 'es' },
});
