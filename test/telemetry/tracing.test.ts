/**
 * OpenTelemetry traces (src/telemetry/tracing.ts) sent by the real SDK's
 * OTLP/HTTP exporter to a receiver on loopback: a span per request named by
 * its route, store calls and password hashing as its children, and no
 * secret in any attribute, span name or event.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Tracing, tracingFromEnv } from '../../src/telemetry/tracing.js';
import { admin, ok } from '../admin/support.js';
import { startTestTicketd, type TestTicketd } from '../helpers/ticketd.js';
import { authenticate } from '../profile/support.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: { key: string; value: Record<string, unknown> }[];
  events?: unknown[];
}

/** An OTLP/HTTP receiver (JSON encoding): keeps every span it is sent. */
class Receiver {
  readonly spans: OtlpSpan[] = [];
  readonly contentTypes: string[] = [];
  readonly bodies: string[] = [];
  private readonly server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('latin1');
    });
    req.on('end', () => {
      this.contentTypes.push(String(req.headers['content-type']));
      this.bodies.push(body);
      if (String(req.headers['content-type']).includes('json')) {
        const doc = JSON.parse(body) as {
          resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
        };
        for (const rs of doc.resourceSpans) for (const ss of rs.scopeSpans) this.spans.push(...ss.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

const attr = (s: OtlpSpan, key: string) => s.attributes?.find((a) => a.key === key)?.value;

let receiver: Receiver;
let tracing: Tracing;
let t: TestTicketd;

beforeAll(async () => {
  receiver = new Receiver();
  const endpoint = await receiver.start();
  tracing = (await tracingFromEnv(
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'ticketd-test',
    },
    'test',
  )) as Tracing;
  t = await startTestTicketd({ tracing });
});
afterAll(async () => {
  await t.stop();
  await receiver.stop();
});

describe('OpenTelemetry tracing', () => {
  it('is off without an OTLP endpoint in the environment', async () => {
    expect(await tracingFromEnv({}, 'x')).toBeUndefined();
    expect(
      await tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_SDK_DISABLED: 'true' }, 'x'),
    ).toBeUndefined();
    expect(
      await tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_TRACES_EXPORTER: 'none' }, 'x'),
    ).toBeUndefined();
  });

  it('a span per request named by its route; store calls and password hashing under it; no secret anywhere', async () => {
    const created = ok<{ ticket: string }>(
      await t.server.inject({
        method: 'POST',
        url: '/v1/tickets',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ uses: 1, payload: { card: 'payload-secret-4242' } }),
      }),
    );
    ok(
      await t.server.inject({
        method: 'POST',
        url: '/v1/tickets/use',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ ticket: created.ticket }),
      }),
    );
    const password = 'password-secret-9876';
    ok(
      await admin(t, 'POST', '/profiles', { tenant: 'default', username: 'traced', password, email: 't@example.com' }),
      201,
    );
    const login = ok<{ id: string }>(await authenticate(t, 'traced', password));
    ok(
      await t.server.inject({
        method: 'GET',
        url: `/api/1/authentication/ticket/${login.id}?accessTokenId=test-master-token-0123456789abcdef`,
      }),
    );

    await tracing.shutdown();
    const spans = receiver.spans;
    expect(receiver.contentTypes.every((c) => c.startsWith('application/json'))).toBe(true);
    const byName = (name: string) => spans.filter((s) => s.name === name);
    const create = byName('POST /v1/tickets')[0] as OtlpSpan;
    expect(create).toBeDefined();
    expect(attr(create, 'http.route')).toEqual({ stringValue: '/v1/tickets' });
    const inTrace = (root: OtlpSpan) => spans.filter((s) => s.traceId === root.traceId);
    expect(inTrace(create).map((s) => s.name)).toContain('store tickets.create');
    const storeCreate = inTrace(create).find((s) => s.name === 'store tickets.create') as OtlpSpan;
    expect(attr(storeCreate, 'db.system.name')).toEqual({ stringValue: 'sqlite' });

    const auth = byName('POST /api/1/authentication/authenticate')[0] as OtlpSpan;
    expect(auth).toBeDefined();
    expect(inTrace(auth).map((s) => s.name)).toEqual(
      expect.arrayContaining(['password verify', 'store sessions.create']),
    );
    // A route with an id in its path: the span has the pattern, never the id.
    const get = byName('GET /api/1/authentication/ticket/:id')[0] as OtlpSpan;
    expect(get).toBeDefined();
    expect(attr(get, 'url.path')).toEqual({ stringValue: '/api/1/authentication/ticket/:id' });

    const everything = receiver.bodies.join('\n');
    for (const secret of [
      created.ticket,
      password,
      'payload-secret-4242',
      login.id,
      'test-master-token-0123456789abcdef',
    ]) {
      expect(everything.includes(secret), secret).toBe(false);
    }
  });
});
