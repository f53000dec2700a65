import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

/** Where `npm run build:explorer` (and `vitpipe explore`, when the build is missing or stale) writes the page. */
export const EXPLORER_DIST = fileURLToPath(new URL('./dist', import.meta.url));
const stub = fileURLToPath(new URL('./src/node-stub.ts', import.meta.url));
const workersStub = fileURLToPath(new URL('./src/workers-stub.ts', import.meta.url));
const NODE_ONLY_PACKAGES: Record<string, string[]> = { sharp: [], piscina: ['Piscina'], protobufjs: [] };
const PREFIX = '\0vitpipe-node-only:';

/**
 * Node built-ins and Node-only packages, reachable through the library's layer barrels but never called by the
 * page, become generated stand-ins that export every name the real module exports (so new imports in the library
 * keep building), each throwing a clear error if it is ever called (src/node-stub.ts).
 */
function nodeOnly(): Plugin {
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  return {
    name: 'vitpipe-node-only',
    enforce: 'pre',
    resolveId(id) {
      if (builtins.has(id) || id in NODE_ONLY_PACKAGES) return PREFIX + id;
      return null;
    },
    async load(id) {
      if (!id.startsWith(PREFIX)) return null;
      const name = id.slice(PREFIX.length);
      const short = name.replace(/^node:/, '').replace(/\/.*$/, '');
      const lines = [`import { unavailable, working } from ${JSON.stringify(stub)};`, `const real = working[${JSON.stringify(short)}] ?? {};`];
      const real: Record<string, unknown> = builtins.has(name) ? await import(name) : Object.fromEntries(NODE_ONLY_PACKAGES[name].map((k) => [k, () => 0]));
      for (const [k, v] of Object.entries(real)) {
        if (k === 'default' || !/^[A-Za-z_$][\w$]*$/.test(k)) continue;
        const fallback = typeof v === 'function' ? `unavailable(${JSON.stringify(`${name} ${k}`)})` : v !== null && typeof v === 'object' ? '{}' : JSON.stringify(v ?? null);
        lines.push(`export const ${k} = real.${k} ?? ${fallback};`);
      }
      lines.push(`export default unavailable(${JSON.stringify(name)});`);
      return lines.join('\n');
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  plugins: [nodeOnly()],
  // src/workers (Node threads) gives way to the page's own Web Workers.
  resolve: { alias: [{ find: /^(\.\.\/)+workers\/index\.ts$/, replacement: workersStub }] },
  build: { outDir: EXPLORER_DIST, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4000 },
  worker: { format: 'es', plugins: () => [nodeOnly()] },
});
