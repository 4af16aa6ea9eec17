/**
 * Slow and broken clients, and the operational edges, against the real
 * process over real sockets (docs/security.md, docs/operations.md): stalled
 * headers and bodies answered 408 and closed; errors raised before routing
 * answered in the shape of the path's surface and logged without a byte of
 * the request; a pipelined request answered before the malformed one after
 * it; SIGTERM bounded by the drain time whatever a client does; log lines
 * out within a second; an unreachable store at start ends the process; a
 * config error never echoes a password.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runToEnd, spawnTicketd, type TicketdProcess } from '../helpers/process.js';

const dir = mkdtempSync(join(tmpdir(), 'ticketd-edges-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let stores = 0;
const store = () => `sqlite:${join(dir, `edges-${stores++}.db`)}`;

let running: TicketdProcess | undefined;
afterEach(async () => {
  await running?.stop('SIGKILL');
  running = undefined;
});

async function serve(env: Record<string, string> = {}): Promise<TicketdProcess> {
  running = await spawnTicketd({ store: store(), env });
  return running;
}

/** What a raw connection receives until the server closes it (at most `ms`), and when it closed. */
function exchange(
  port: number,
  chunks: (string | Buffer)[],
  ms = 10_000,
): Promise<{ text: string; closedAfterMs: number; closed: boolean }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closedAfterMs: performance.now() - started, closed });
    };
    const timer = setTimeout(() => finish(false), ms);
    socket.on('connect', () => {
      for (const c of chunks) socket.write(c);
    });
    socket.on('data', (d) => {
      text += d.toString('latin1');
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
  });
}

/** The status and JSON body of each HTTP answer in a received stream, in order. */
function answers(text: string): { status: number; body: Record<string, unknown> }[] {
  const out: { status: number; body: Record<string, unknown> }[] = [];
  let rest = text;
  while (rest.startsWith('HTTP/1.1 ')) {
    const headEnd = rest.indexOf('\r\n\r\n');
    const head = rest.slice(0, headEnd);
    const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    const body = rest.slice(headEnd + 4, headEnd + 4 + length);
    out.push({ status: Number(head.slice(9, 12)), body: body ? (JSON.parse(body) as Record<string, unknown>) : {} });
    rest = rest.slice(headEnd + 4 + length);
  }
  return out;
}

describe('slow clients', () => {
  it('headers that stall: 408 in the ticket surface shape, connection closed, within the headers timeout', async () => {
    const t = await serve({ TICKETD_HTTP_HEADERS_TIMEOUT_MS: '500' });
    const r = await exchange(t.port, ['POST /v1/tickets HTTP/1.1\r\nHost: x\r\n']);
    expect(r.closed).toBe(true);
    expect(r.closedAfterMs).toBeLessThan(3000);
    expect(answers(r.text)).toEqual([{ status: 408, body: { code: 2010, error: 'request not received in time' } }]);
  });

  it('a body that stalls: 408 in the shape of its surface (profile), closed within the request timeout', async () => {
    const t = await serve({ TICKETD_HTTP_REQUEST_TIMEOUT_MS: '1000' });
    const r = await exchange(t.port, [
      'POST /api/1/authentication/authenticate HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=a',
    ]);
    expect(r.closed).toBe(true);
    expect(r.closedAfterMs).toBeLessThan(4000);
    expect(answers(r.text)[0]).toEqual({
      status: 408,
      body: { errorCode: 'REQUEST_TIMEOUT', message: 'Request not received in time' },
    });
  });

  it('300 stalled bodies are all answered 408 and closed; the server serves on', async () => {
    const t = await serve({ TICKETD_HTTP_REQUEST_TIMEOUT_MS: '1000' });
    const stalled = await Promise.all(
      Array.from({ length: 300 }, () =>
        exchange(t.port, ['POST /v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{"uses":'], 15_000),
      ),
    );
    expect(stalled.every((r) => r.closed && answers(r.text)[0]?.status === 408)).toBe(true);
    const res = await fetch(`${t.url}/v1/tickets`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(200);
  });

  it('SIGTERM with a body that stalls: exits 0 within the drain time, not when the client leaves', async () => {
    const t = await serve({ TICKETD_HTTP_SHUTDOWN_TIMEOUT_MS: '1000' });
    const socket = net.connect(t.port, '127.0.0.1');
    await new Promise((r) => socket.on('connect', r));
    socket.write('POST /v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{"uses":');
    socket.on('error', () => {});
    await new Promise((r) => setTimeout(r, 100));
    const started = performance.now();
    const code = await t.stop('SIGTERM');
    socket.destroy();
    expect(code).toBe(0);
    expect(performance.now() - started).toBeLessThan(4000);
    running = undefined;
  });
});

describe('errors before routing', () => {
  const big = `X-Big: ${'a'.repeat(20_000)}\r\n`;

  it('431 headers too large, in the shape of the path’s surface', async () => {
    const t = await serve();
    const of = async (path: string) =>
      answers((await exchange(t.port, [`GET ${path} HTTP/1.1\r\nHost: x\r\n${big}\r\n`])).text)[0];
    expect(await of('/v1/tickets/peek')).toEqual({
      status: 431,
      body: { code: 2011, error: 'request headers too large' },
    });
    expect(await of('/api/1/profile/x')).toEqual({
      status: 431,
      body: { errorCode: 'HEADERS_TOO_LARGE', message: 'Request headers too large' },
    });
    expect(await of('/v1/ticket/reissue')).toEqual({
      status: 431,
      body: { statusCode: 431, error: 'Request Header Fields Too Large', message: 'Request headers too large' },
    });
  });

  it('bad framing and unknown methods: 400 in the surface’s shape; logged without a byte of the request', async () => {
    const t = await serve({ TICKETD_LOG_LEVEL: 'trace' });
    const framing = await exchange(t.port, [
      'POST /v1/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer SECRET-TOKEN-1\r\nContent-Length: abc\r\n\r\n',
    ]);
    expect(answers(framing.text)).toEqual([{ status: 400, body: { code: 2003, error: 'invalid json payload' } }]);
    const oz = await exchange(t.port, ['POST /oz/app HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n']);
    expect(answers(oz.text)).toEqual([
      { status: 400, body: { statusCode: 400, error: 'Bad Request', message: 'Malformed request' } },
    ]);
    const method = await exchange(t.port, [
      'FROB /api/1/tenant/get/x HTTP/1.1\r\nHost: x\r\nAuthorization: SECRET-TOKEN-2\r\n\r\n',
    ]);
    expect(answers(method.text)[0]?.status).toBe(400);
    expect(answers(method.text)[0]?.body.errorCode).toBe('PARAM_DESERIALIZATION_ERROR');
    await new Promise((r) => setTimeout(r, 1500));
    const log = t.output();
    expect(log).toContain('client error');
    expect(log).not.toContain('SECRET-TOKEN');
    expect(log).not.toContain('rawPacket');
  });

  it('a pipelined request is answered, then the malformed one after it, then the connection closes', async () => {
    const t = await serve();
    const body = '{"uses":3}';
    const good = `POST /v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const bad = 'POST /v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n';
    const r = await exchange(t.port, [good + bad]);
    const [first, second] = answers(r.text);
    expect(first?.status).toBe(200);
    expect(first?.body.ticket).toMatch(/^[A-Za-z0-9+/]{27}$/);
    expect(second).toEqual({ status: 400, body: { code: 2003, error: 'invalid json payload' } });
    expect(r.closed).toBe(true);
  });
});

describe('operational edges', () => {
  it('a request’s log line is on stdout within a second', async () => {
    const t = await serve({ TICKETD_LOG_LEVEL: 'info' });
    await new Promise((r) => setTimeout(r, 1200));
    const before = t.output().split('"route":"/v1/tickets"').length;
    await fetch(`${t.url}/v1/tickets`, { method: 'POST', body: '{}' });
    await new Promise((r) => setTimeout(r, 1100));
    expect(t.output().split('"route":"/v1/tickets"').length).toBe(before + 1);
  });

  it('an unreachable store at start: exits non-zero within 10 s, PostgreSQL and Redis alike', async () => {
    for (const url of ['postgres://ticketd:pw@127.0.0.1:1/none', 'redis://127.0.0.1:1']) {
      const started = performance.now();
      const r = await runToEnd(['serve', '--listen', '127.0.0.1:5999', '--store', url], 15_000);
      expect(r.code, `${url}: ${r.stderr}`).not.toBe(0);
      expect(r.code).not.toBeNull();
      expect(performance.now() - started, url).toBeLessThan(10_000);
      expect(r.stderr).not.toContain(':pw@');
    }
  });

  it('a config error never echoes a password: mistyped scheme, password in the query', async () => {
    for (const url of ['postgress://ticketd:hunter2secret@db/x', 'postgres://db/x?password=hunter2secret&sslmode=x']) {
      const r = await runToEnd(['serve', '--store', url]);
      expect(r.code).not.toBe(0);
      expect(r.stderr + r.stdout).not.toContain('hunter2secret');
    }
  });
});
