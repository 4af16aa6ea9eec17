import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT } from '../../bench/build.js';
// @ts-expect-error: a plain ES module of the build, without types
import { bundle } from '../../scripts/bundle.mjs';

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * Before any test file: the bundled bin (dist/ticketd.mjs) made again when
 * a source is newer (about a second), so that the tests that run ticketd as
 * a process run today's sources as they ship, and start in a fraction of
 * the time `tsx` takes.
 */
export default async function setup(): Promise<void> {
  if (!existsSync(BIN) || newest(join(ROOT, 'src')) > statSync(BIN).mtimeMs) await bundle();
}
