/**
 * The ticketd builds a benchmark run measures: this working tree, and with
 * `--baseline REV` another revision beside it, so that "before" and "after"
 * share one run, one ceiling and one machine state (scenario by scenario,
 * each on one build and then the other). A baseline is checked out into a
 * git worktree under the temporary directory, kept there for later runs,
 * given dependencies (a link to this tree's node_modules when its lockfile
 * is the same, else `npm ci`) and built with its own `npm run build`. Its own
 * bench/seed.ts fills its stores, so that each build meets the schema it knows.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN, ROOT } from './build.js';
import { progress } from './progress.js';
import type * as Seed from './seed.js';

export interface Build {
  /** `ticketd`, or `ticketd@<rev>` for a baseline. */
  label: string;
  root: string;
  /** The bundled bin it runs. */
  bin: string;
  /** Its own seeding functions (bench/seed.ts of its tree). */
  seed: typeof Seed;
}

export async function currentBuild(): Promise<Build> {
  return { label: 'ticketd', root: ROOT, bin: BIN, seed: await import('./seed.js') };
}

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

function run(cwd: string, command: string, args: string[]): void {
  const r = spawnSync(command, args, { cwd, stdio: ['ignore', 2, 2] });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} in ${cwd} failed (${r.status ?? r.signal})`);
}

/** A worktree of `rev` (commit, tag, branch), with its dependencies, built. */
export async function baselineBuild(rev: string): Promise<Build> {
  const sha = git(ROOT, 'rev-parse', '--verify', `${rev}^{commit}`);
  const short = sha.slice(0, 7);
  const dir = join(tmpdir(), `ticketd-bench-${short}`);
  if (!existsSync(join(dir, 'package.json'))) {
    progress(`baseline ${short}: git worktree in ${dir}`);
    git(ROOT, 'worktree', 'prune');
    git(ROOT, 'worktree', 'add', '--force', '--detach', dir, sha);
  }
  if (!existsSync(join(dir, 'node_modules'))) {
    const same =
      readFileSync(join(dir, 'package-lock.json'), 'utf8') === readFileSync(join(ROOT, 'package-lock.json'), 'utf8');
    if (same) symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    else {
      progress(`baseline ${short}: its lockfile differs, npm ci`);
      run(dir, 'npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts']);
      run(dir, 'npm', ['rebuild', 'better-sqlite3']);
    }
  }
  const bin = join(dir, 'dist', 'ticketd.mjs');
  if (!existsSync(bin)) {
    progress(`baseline ${short}: npm run build`);
    run(dir, 'npm', ['run', 'build']);
  }
  const seed = (await import(pathToFileURL(join(dir, 'bench', 'seed.ts')).href)) as typeof Seed;
  return { label: `ticketd@${short}`, root: dir, bin, seed };
}
