import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The explorer's sources (explorer/) and the library they bundle (src/): a build older than any of them is stale. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXPLORER = join(ROOT, 'explorer');
export const DIST = join(EXPLORER, 'dist');
const STAMP = join(DIST, '.built');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'dist' || e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Why the page must be (re)built, or null when the build is current. */
export function staleReason(): string | null {
  if (!existsSync(STAMP)) return 'no build yet';
  const built = statSync(STAMP).mtimeMs;
  if (newest(EXPLORER) > built) return 'explorer/ changed since the last build';
  if (newest(join(ROOT, 'src')) > built) return 'src/ changed since the last build';
  return null;
}

/** Build the page with Vite (explorer/vite.config.ts) into explorer/dist; a stamp file marks a finished build. */
export async function buildExplorer(): Promise<number> {
  const t0 = performance.now();
  const { build } = await import('vite');
  await build({ configFile: join(EXPLORER, 'vite.config.ts'), logLevel: 'error' });
  writeFileSync(STAMP, new Date().toISOString() + '\n');
  return (performance.now() - t0) / 1000;
}
