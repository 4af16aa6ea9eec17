import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/store/sqlite/driver.js';
import {
  freePort,
  type HttpAnswer,
  ROOT,
  request,
  runTicketd,
  runToEnd,
  type TicketdRun,
  waitForPing,
} from '../helpers/process.js';

const dir = mkdtempSync(join(tmpdir(), 'ticketd-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

let running: TicketdRun | undefined;
afterEach(() => {
  running?.kill();
  running = undefined;
});

let stores = 0;
async function serve(): Promise<{ p: TicketdRun; port: number; db: string }> {
  const port = await freePort();
  const db = join(dir, `ticketd-${stores++}.db`);
  const p = runTicketd(['serve', '--listen', `127.0.0.1:${port}`, '--store', `sqlite:${db}`]);
  running = p;
  await waitForPing(p, port);
  return { p, port, db };
}

describe('ticketd --help and usage errors', () => {
  it('--help prints the usage and exits 0', async () => {
    const r = await runToEnd(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage:');
    expect(r.stdout).toContain('ticketd serve');
    for (const flag of ['--config', '--listen', '--store']) expect(r.stdout).toContain(flag);
  });

  it('serve --help documents serve', async () => {
    const r = await runToEnd(['serve', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: ticketd serve/);
    expect(r.stdout).toContain('SIGTERM');
  });

  it('no command: usage on stdout, exit 2', async () => {
    const r = await runToEnd([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Usage:');
  });

  it('an unknown flag exits 2 with a message', async () => {
    const flag = await runToEnd(['serve', '--lisen', '127.0.0.1:1']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--lisen');
  });

  // Every spawn costs about a second (tsx): one malformed address, one out-of-range port.
  // test/process/config.test.ts covers the other bad values without a process.
  it.each(['nope', '127.0.0.1:70000'])(
    'a bad --listen (%s) exits non-zero with a message naming listen',
    async (listen) => {
      const r = await runToEnd(['serve', '--listen', listen, '--store', 'memory:']);
      expect(r.code).not.toBe(0);
      expect(r.code).not.toBeNull();
      expect(r.stderr).toContain('listen');
      expect(r.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    },
  );
});

describe('ticketd serve', () => {
  it('answers /v1/ping, serves tickets over HTTP, and exits 0 on SIGTERM', async () => {
    const { p, port, db } = await serve();
    const ping = await request(port, 'GET', '/v1/ping');
    expect(ping.status).toBe(200);
    expect(JSON.parse(ping.body)).toEqual({ ok: true });
    expect(ping.headers['content-type']).toMatch(/^application\/json/);
    expect(ping.headers.requestid).toBeTruthy();

    const info = JSON.parse((await request(port, 'GET', '/v1/info')).body) as Record<string, unknown>;
    expect(info).toMatchObject({ name: 'ticketd', version, store: 'sqlite' });

    const created = await request(port, 'POST', '/v1/tickets', '{"uses":2,"ttl":50,"payload":{"user_id":9001}}');
    const { ticket } = JSON.parse(created.body) as { ticket: string };
    const used = await request(port, 'POST', '/v1/tickets/use', JSON.stringify({ ticket }));
    expect(used.body).toBe('{"uses":1,"payload":{"user_id":9001}}');

    const signalled = performance.now();
    p.child.kill('SIGTERM');
    const exit = await p.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.at - signalled).toBeLessThan(5000);
    // The store was closed cleanly, with the ticket in it.
    const sqlite = openSqlite(db, { readonly: true });
    try {
      const rows = sqlite.prepare('SELECT id, uses_left FROM tickets').all() as { id: Buffer; uses_left: number }[];
      expect(rows).toEqual([{ id: createHash('sha256').update(ticket).digest(), uses_left: 1 }]);
    } finally {
      sqlite.close();
    }
  });

  it('SIGTERM under load: every answered request got a 200, answered creates are stored, exit 0 within 5 s', async () => {
    const { p, port, db } = await serve();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const answers: { answer: HttpAnswer; startedBeforeSignal: boolean; endedAfterSignal: boolean }[] = [];
    const failures: string[] = [];
    let signalledAt: number | undefined;
    const hardStop = performance.now() + 15_000;

    // 16 clients on keep-alive connections, each creating tickets back to back
    // until its connection is refused or dropped.
    const client = async () => {
      while (performance.now() < hardStop) {
        const startedBeforeSignal = signalledAt === undefined;
        try {
          const answer = await request(port, 'POST', '/v1/tickets', '{"uses":1,"payload":{"n":1}}', agent);
          answers.push({ answer, startedBeforeSignal, endedAfterSignal: signalledAt !== undefined });
        } catch (err) {
          failures.push((err as NodeJS.ErrnoException).code ?? (err as Error).message);
          if (signalledAt !== undefined) return;
        }
      }
    };
    const clients = Array.from({ length: 16 }, client);

    // Signal once traffic is flowing.
    while (answers.length < 200 && performance.now() < hardStop) await new Promise((r) => setTimeout(r, 5));
    signalledAt = performance.now();
    p.child.kill('SIGTERM');

    const exit = await p.exited;
    await Promise.all(clients);
    agent.destroy();

    expect(exit, p.stderr()).toMatchObject({ code: 0, signal: null });
    expect(exit.at - signalledAt).toBeLessThan(5000);
    expect(answers.length).toBeGreaterThanOrEqual(200);
    // Requests were in flight when the signal came, and each that was answered got a 200.
    const inFlight = answers.filter((a) => a.startedBeforeSignal && a.endedAfterSignal);
    const statuses = new Map<number, number>();
    for (const a of answers) statuses.set(a.answer.status, (statuses.get(a.answer.status) ?? 0) + 1);
    expect(Object.fromEntries(statuses), JSON.stringify(answers.find((a) => a.answer.status !== 200))).toEqual({
      200: answers.length,
    });
    expect(inFlight.length + failures.length).toBeGreaterThan(0);
    // What ended a client after the signal is a refused or closed connection, never a hang.
    for (const f of failures) expect(['ECONNREFUSED', 'ECONNRESET', 'socket hang up', 'EPIPE']).toContain(f);

    // Every create answered 200 is in the store.
    const sqlite = openSqlite(db, { readonly: true });
    try {
      const ids = new Set(
        (sqlite.prepare('SELECT id FROM tickets').all() as { id: Buffer }[]).map((r) => r.id.toString('hex')),
      );
      for (const a of answers) {
        const { ticket } = JSON.parse(a.answer.body) as { ticket: string };
        expect(ids.has(createHash('sha256').update(ticket).digest('hex'))).toBe(true);
      }
    } finally {
      sqlite.close();
    }
  });
});
