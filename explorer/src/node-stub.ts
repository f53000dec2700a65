/**
 * The page's stand-in for Node built-ins and Node-only packages (sharp, piscina, protobufjs). The library's layer
 * barrels (e.g. src/model/index.ts) re-export file loaders beside the pure code the page runs; the page never calls
 * those loaders, so every function here only says so if it is ever reached. Path helpers work on strings, because a
 * few modules build names with them.
 */
const unavailable = (what: string) => (): never => {
  throw new Error(`${what} is not available in the explorer page (a Node-only code path was reached)`);
};

export const existsSync = () => false;
export const readFileSync = unavailable('readFileSync');
export const readFile = unavailable('readFile');
export const writeFileSync = unavailable('writeFileSync');
export const statSync = unavailable('statSync');
export const mkdirSync = unavailable('mkdirSync');
export const mkdtempSync = unavailable('mkdtempSync');
export const readdirSync = unavailable('readdirSync');
export const renameSync = unavailable('renameSync');
export const rmSync = unavailable('rmSync');
export const openSync = unavailable('openSync');
export const closeSync = unavailable('closeSync');
export const readSync = unavailable('readSync');
export const fsyncSync = unavailable('fsyncSync');
export const spawnSync = unavailable('spawnSync');
export const createHash = unavailable('createHash');
export const randomBytes = unavailable('randomBytes');
export const tmpdir = unavailable('tmpdir');
export const endianness = () => 'LE';
export const availableParallelism = () => (typeof navigator !== 'undefined' ? navigator.hardwareConcurrency : 1) || 1;
export const join = (...parts: string[]) => parts.filter((p) => p !== '').join('/').replace(/\/+/g, '/');
export const resolve = join;
export const dirname = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) || '/' : '.');
export const basename = (p: string, ext?: string) => {
  const b = p.slice(p.lastIndexOf('/') + 1);
  return ext && b.endsWith(ext) ? b.slice(0, -ext.length) : b;
};
export const extname = (p: string) => {
  const b = basename(p);
  return b.lastIndexOf('.') > 0 ? b.slice(b.lastIndexOf('.')) : '';
};
export const constants = { MAX_LENGTH: 2 ** 31 - 1 };
export const parentPort = null;
export const workerData = null;
export class Worker {
  constructor() {
    unavailable('node:worker_threads')();
  }
}
export class Piscina {
  constructor() {
    unavailable('piscina')();
  }
}
export const inflateRawSync = unavailable('zlib');
const notAvailable = unavailable('this Node-only package');
export default notAvailable;
export const crc32 = undefined;
