/** Building dist/ (the bundled bin, the console) before a benchmark or a test runs it, unless it is up to date. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The `ticketd` bin: one bundled file (scripts/bundle.mjs). */
export const BIN = join(ROOT, 'dist', 'ticketd.mjs');

/**
 * The Node flags the bin runs with when started as a command: those of its
 * shebang (`#!/usr/bin/env -S node FLAGS`, src/cli/main.ts). Tests and the
 * bench start it as `node FLAGS dist/ticketd.mjs`, as the installed command runs.
 */
export function binNodeFlags(bin = BIN): string[] {
  const first = readFileSync(bin, 'utf8').slice(0, 200).split('\n')[0] ?? '';
  const m = /^#!\/usr\/bin\/env -S node(.*)$/.exec(first);
  return m ? (m[1] as string).trim().split(/\s+/).filter(Boolean) : [];
}

export type BuildWhen = 'always' | 'when-stale' | 'never';

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/**
 * Runs `npm run build` when the bin is missing or (unless told not to look)
 * older than what it is built from. Returns what happened, for the caller to report.
 */
export function ensureBuilt(when: BuildWhen, log: (line: string) => void = () => {}): void {
  const sources = [
    'src',
    'scripts',
    'console',
    'vite.config.ts',
    'tsconfig.build.json',
    'tsconfig.json',
    'package.json',
  ].map((p) => join(ROOT, p));
  const stale =
    when === 'always' ||
    !existsSync(BIN) ||
    (when === 'when-stale' && Math.max(...sources.map(newestMtime)) > statSync(BIN).mtimeMs) ||
    // The console is built with the rest (vite): a bin bundled alone (test/helpers/global-setup.ts) is not enough.
    (when !== 'never' && !existsSync(join(ROOT, 'dist', 'console', 'index.html')));
  if (!stale) return;
  log('building (npm run build)');
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
  if (r.status === 0) return;
  // tsc still emits JavaScript when it finds type errors; run that, but say so.
  if (!existsSync(BIN)) throw new Error(`npm run build failed (${r.status ?? r.signal})`);
  log(`WARNING: npm run build failed (${r.status ?? r.signal}); running what it emitted`);
}
