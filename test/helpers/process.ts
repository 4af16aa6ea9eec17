/**
 * ticketd as a process of its own, for the tests where a signal, a socket or
 * the bin itself matters: runTicketd runs any CLI command, spawnTicketd a
 * `ticketd serve` on a free port, answering /v1/ping. Both run the bundled
 * bin as installed (dist/ticketd.mjs, made again before the tests when a
 * source changed: global-setup.ts), or with `from: 'sources'` the sources
 * through tsx, in an environment without the machine's TICKETD_* settings.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { resolve } from 'node:path';
import { BIN, binNodeFlags } from '../../bench/build.js';
import { freePort, sharedKeyringFile } from '../../bench/processes.js';

/** The repository root: the CLI runs from here, as `npm run dev` does. */
export const ROOT = resolve(import.meta.dirname, '../..');

export { freePort };

/** The keyring every test process shares (made once, in the temporary directory). */
export const testKeyringFile = (): string => sharedKeyringFile('ticketd-test.keyring');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** performance.now() when the process ended. */
  at: number;
}

/** A CLI command running. */
export interface TicketdRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<Exit>;
  /** Kills the process if it still runs (test clean-up). */
  kill(): void;
}

/**
 * The environment without any TICKETD_* setting of the machine running the
 * tests, with the tests' shared keyring (PostgreSQL and Redis require one;
 * `TICKETD_KEYRING_FILE: ''` leaves SQLite to its default beside the database).
 */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TICKETD_')) env[k] = v;
  return { ...env, TICKETD_KEYRING_FILE: testKeyringFile(), ...extra };
}

/** Runs the real CLI (`ticketd ...args`); `discardStdout` drops what it writes there (a request log). */
export function runTicketd(
  args: string[],
  env: Record<string, string> = {},
  from: 'sources' | 'bin' = 'bin',
  discardStdout = false,
): TicketdRun {
  const entry = from === 'bin' ? [...binNodeFlags(), BIN] : ['--import', 'tsx', 'src/cli/main.ts'];
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: ROOT,
    env: cleanEnv(env),
    stdio: ['ignore', discardStdout ? 'ignore' : 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<Exit>((done) => {
    child.on('exit', (code, signal) => done({ code, signal, at: performance.now() }));
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Runs the CLI to its end, at most `timeoutMs`. */
export async function runToEnd(args: string[], timeoutMs = 20_000, env: Record<string, string> = {}) {
  const p = runTicketd(args, env);
  const timer = setTimeout(p.kill, timeoutMs);
  const exit = await p.exited;
  clearTimeout(timer);
  return { ...exit, stdout: p.stdout(), stderr: p.stderr() };
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request to 127.0.0.1:port; rejects on a connection error. */
export function request(
  port: number,
  method: string,
  path: string,
  body?: string,
  agent?: http.Agent,
): Promise<HttpAnswer> {
  return new Promise((done, fail) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: agent ?? false,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.on('error', fail);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.on('error', fail);
    req.end(body);
  });
}

/** Polls GET /v1/ping until it answers 200, or fails after `timeoutMs` or when the process ends. */
export async function waitForPing(p: TicketdRun, port: number, timeoutMs = 20_000): Promise<HttpAnswer> {
  const deadline = performance.now() + timeoutMs;
  let ended = false;
  void p.exited.then(() => {
    ended = true;
  });
  for (;;) {
    if (ended) throw new Error(`ticketd ended before answering:\n${p.stdout()}\n${p.stderr()}`);
    try {
      const res = await request(port, 'GET', '/v1/ping');
      if (res.status === 200) return res;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) {
      p.kill();
      throw new Error(`ticketd did not answer within ${timeoutMs} ms:\n${p.stdout()}\n${p.stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A `ticketd serve` answering on 127.0.0.1. */
export interface TicketdProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** stdout + stderr so far. */
  output(): string;
  /** Sends the signal and resolves with the exit code once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `ticketd serve` on the store (log level warn unless `env` says
 * otherwise) and waits until /v1/ping answers; `port` serves again on the
 * port of a process that ended.
 */
export async function spawnTicketd(options: {
  store: string;
  env?: Record<string, string>;
  args?: string[];
  timeoutMs?: number;
  /** Run the sources through tsx instead of the bundled bin. */
  sources?: boolean;
  port?: number;
  /** Drop what it writes on stdout (the request log at level info) instead of keeping it for output(). */
  discardStdout?: boolean;
}): Promise<TicketdProcess> {
  const port = options.port ?? (await freePort());
  const run = runTicketd(
    ['serve', '--listen', `127.0.0.1:${port}`, '--store', options.store, ...(options.args ?? [])],
    { TICKETD_LOG_LEVEL: 'warn', ...options.env },
    options.sources ? 'sources' : 'bin',
    options.discardStdout,
  );
  await waitForPing(run, port, options.timeoutMs ?? 15_000);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child: run.child,
    output: () => run.stdout() + run.stderr(),
    stop: async (signal = 'SIGTERM') => {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill(signal);
      return (await run.exited).code;
    },
  };
}

/** POSTs JSON and returns status and parsed body. */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
