/** The processes a benchmark run starts (the ceiling, ticketd), and what /proc says of them. */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, linkSync, openSync, readFileSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '../src/core/keyring.js';
import { BIN, binNodeFlags, ROOT } from './build.js';
import { BENCH_MASTER_TOKEN } from './scenarios/api.js';

const CEILING = join(ROOT, 'bench', 'ceiling.mjs');
const LIMIT = join(ROOT, 'bench', 'limit.mjs');
const OZ_REFERENCE = join(ROOT, 'bench', 'oz-reference.cjs');

export interface Server {
  child: ChildProcess;
  url: string;
}

const children = new Set<ChildProcess>();
let tracking = false;

/** Kills what this process started when it ends or is interrupted; set up with the first child, so importing this module changes nothing. */
function track(child: ChildProcess): ChildProcess {
  if (!tracking) {
    tracking = true;
    process.once('exit', () => {
      for (const c of children) c.kill('SIGKILL');
    });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  }
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGTERM, then SIGKILL if it is still there after `graceMs`. */
export async function stop(child: ChildProcess, graceMs = 10_000): Promise<void> {
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
}

/** A loopback port nothing listens on right now (bound and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Spawns a node script that prints one JSON line once it listens (`{"port", ...}`); resolves with that line. */
async function startScript<T extends { port: number }>(
  script: string,
  args: string[],
): Promise<{ server: Server; hello: T }> {
  const child = track(spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const hello = await new Promise<T>((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const end = text.indexOf('\n');
      if (end >= 0) resolve(JSON.parse(text.slice(0, end)) as T);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before listening`)));
  });
  return { server: { child, url: `http://127.0.0.1:${hello.port}` }, hello };
}

/** The ceiling: bare node:http answering a constant (bench/ceiling.mjs). */
export async function startCeiling(): Promise<Server> {
  return (await startScript(CEILING, [])).server;
}

/** The limit server of docs/performance.md (bench/limit.mjs) on a SQLite file at `dbPath`. */
export async function startLimit(dbPath: string): Promise<Server> {
  return (await startScript(LIMIT, [dbPath])).server;
}

/** The reference oz server on hapi (bench/oz-reference.cjs) with `tickets` user tickets of its own. */
export async function startOzReference<T>(tickets: number): Promise<{ server: Server; tickets: T[] }> {
  const { server, hello } = await startScript<{ port: number; tickets: T[] }>(OZ_REFERENCE, [String(tickets)]);
  return { server, tickets: hello.tickets };
}

/**
 * A keyring file in the temporary directory, made once and then shared by
 * every process that names it (a second maker loses the race harmlessly).
 */
export function sharedKeyringFile(name: string): string {
  const path = join(tmpdir(), name);
  if (existsSync(path)) return path;
  const draft = join(tmpdir(), `.${name}.${process.pid}.${Date.now()}`);
  Keyring.generate(draft).save();
  try {
    // A hard link never replaces a file: of two makers, the first one's keyring is the one.
    linkSync(draft, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(draft);
  }
  return path;
}

/**
 * Starts the compiled ticketd on `storeUrl` (log level info, its log into
 * `logPath`) and waits for its first answer to GET /v1/ping; `startMs` is
 * the time from spawning the process to that answer.
 */
export async function startTicketd(
  storeUrl: string,
  logPath: string,
  cpuProf: string | undefined,
  bin = BIN,
): Promise<Server & { startMs: number }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TICKETD_')) env[k] = v;
  env.TICKETD_LOG_LEVEL = 'info';
  env.TICKETD_MASTER_TOKEN = BENCH_MASTER_TOKEN;
  // PostgreSQL and Redis require a keyring; builds that predate it ignore the setting.
  env.TICKETD_KEYRING_FILE = sharedKeyringFile('ticketd-bench.keyring');
  const nodeArgs = cpuProf ? ['--cpu-prof', '--cpu-prof-dir', cpuProf] : [];
  const log = openSync(logPath, 'a');
  const t0 = performance.now();
  const child = track(
    spawn(
      process.execPath,
      [...binNodeFlags(bin), ...nodeArgs, bin, 'serve', '--listen', `127.0.0.1:${port}`, '--store', storeUrl],
      // One JSON line per request goes to stdout: into a file, never the terminal.
      { stdio: ['ignore', log, 'inherit'], env },
    ),
  );
  closeSync(log);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`ticketd exited with ${child.exitCode} before answering`);
    try {
      const res = await fetch(`${url}/v1/ping`);
      if (res.ok) return { child, url, startMs: Math.round(performance.now() - t0) };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('ticketd did not answer /v1/ping within 15 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function countLines(path: string): number {
  const text = readFileSync(path);
  let lines = 0;
  for (let i = text.indexOf(0x0a); i !== -1; i = text.indexOf(0x0a, i + 1)) lines++;
  return lines;
}

const CLOCK_TICKS = 100;

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux); undefined elsewhere. */
export function cpuMs(pid: number | undefined): number | undefined {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** Resident set of a process in MB, from /proc (Linux): `VmHWM` (the peak so far) or `VmRSS` (now); undefined elsewhere. */
export function rssMb(pid: number | undefined, which: 'VmHWM' | 'VmRSS' = 'VmHWM'): number | undefined {
  try {
    const m = new RegExp(`${which}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}
