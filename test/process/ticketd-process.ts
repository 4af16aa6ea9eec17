import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { resolve } from 'node:path';
import { BIN } from '../../bench/build.js';
import { freePort } from '../../bench/processes.js';

/** The repository root: the CLI runs from here, as `npm run dev` does. */
export const ROOT = resolve(import.meta.dirname, '../..');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** performance.now() when the process ended. */
  at: number;
}

export interface TicketdProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<Exit>;
  /** Kills the process if it still runs (test clean-up). */
  kill(): void;
}

/** The environment without any TICKETD_* setting of the machine running the tests. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TICKETD_')) env[k] = v;
  return { ...env, ...extra };
}

/**
 * Runs the real CLI: from its sources (`node --import tsx src/cli/main.ts
 * ...args`), or as installed, the bundled bin (`node dist/ticketd.mjs ...args`;
 * build it first with ensureBuilt from bench/build.ts).
 */
export function runTicketd(
  args: string[],
  env: Record<string, string> = {},
  from: 'sources' | 'bin' = 'sources',
): TicketdProcess {
  const entry = from === 'bin' ? [BIN] : ['--import', 'tsx', 'src/cli/main.ts'];
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: ROOT,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
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
export async function runToEnd(args: string[], timeoutMs = 20_000) {
  const p = runTicketd(args);
  const timer = setTimeout(p.kill, timeoutMs);
  const exit = await p.exited;
  clearTimeout(timer);
  return { ...exit, stdout: p.stdout(), stderr: p.stderr() };
}

export { freePort };

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request; rejects on a connection error. */
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
export async function waitForPing(p: TicketdProcess, port: number, timeoutMs = 20_000): Promise<HttpAnswer> {
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
    if (performance.now() > deadline) throw new Error(`ticketd did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
