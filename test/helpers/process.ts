import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BIN } from '../../bench/build.js';
import { freePort } from '../../bench/processes.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

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
 * Starts the real `ticketd serve` in its own process and waits until
 * /v1/ping answers: from its sources (tsx), or with `bin` the bundled bin as
 * installed (dist/ticketd.mjs; build it first with ensureBuilt from
 * bench/build.ts). `port` serves again on the port of a process that ended.
 */
export async function spawnTicketd(options: {
  store: string;
  env?: Record<string, string>;
  args?: string[];
  timeoutMs?: number;
  bin?: boolean;
  port?: number;
  /** Drop what it writes on stdout (the request log at level info) instead of keeping it for output(). */
  discardStdout?: boolean;
}): Promise<TicketdProcess> {
  const port = options.port ?? (await freePort());
  const child = spawn(
    process.execPath,
    [
      ...(options.bin ? [BIN] : ['--import', 'tsx', 'src/cli/main.ts']),
      'serve',
      '--listen',
      `127.0.0.1:${port}`,
      '--store',
      options.store,
      ...(options.args ?? []),
    ],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TICKETD_LOG_LEVEL: 'warn', ...options.env },
      stdio: ['ignore', options.discardStdout ? 'ignore' : 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.on('data', (d) => {
    out += String(d);
  });
  child.stderr?.on('data', (d) => {
    out += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`ticketd exited with ${child.exitCode}:\n${out}`);
    try {
      const res = await fetch(`${url}/v1/ping`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`ticketd did not answer within the timeout:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port,
    child,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
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
