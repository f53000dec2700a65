/**
 * Pieces of the page's stand-ins for Node built-ins and Node-only packages (sharp, piscina, protobufjs), which
 * vite.config.ts generates per module with every name the real one exports. The library's layer barrels (e.g.
 * src/model/index.ts) re-export file loaders beside the pure code the page runs; the page never calls those
 * loaders, so each stand-in function only says so if it is ever reached. A few helpers work for real, because some
 * modules build names or ask for the core count with them.
 */
export function unavailable(what: string): () => never {
  // A plain function (not an arrow) so that `new Worker(…)` reaches the same message.
  return function () {
    throw new Error(`${what} is not available in the explorer page (a Node-only code path was reached)`);
  } as () => never;
}

export const working: Record<string, Record<string, unknown>> = {
  path: {
    join: (...parts: string[]) => parts.filter((p) => p !== '').join('/').replace(/\/+/g, '/'),
    resolve: (...parts: string[]) => parts.filter((p) => p !== '').join('/').replace(/\/+/g, '/'),
    dirname: (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) || '/' : '.'),
    basename: (p: string, ext?: string) => {
      const b = p.slice(p.lastIndexOf('/') + 1);
      return ext && b.endsWith(ext) ? b.slice(0, -ext.length) : b;
    },
    extname: (p: string) => {
      const b = p.slice(p.lastIndexOf('/') + 1);
      return b.lastIndexOf('.') > 0 ? b.slice(b.lastIndexOf('.')) : '';
    },
    sep: '/',
  },
  os: {
    availableParallelism: () => (typeof navigator !== 'undefined' ? navigator.hardwareConcurrency : 1) || 1,
    endianness: () => 'LE',
  },
  fs: { existsSync: () => false },
};
