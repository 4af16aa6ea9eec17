import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RoundTrip, roundTrip, ticketRequest } from './support/arbitraries.js';
import { check, FUZZ_RUNS, fuzz, printTally, send } from './support/harness.js';
import { errorLines, type FuzzTarget, startTarget } from './support/instances.js';
import { BODY_LIMIT, checkEnvelope, checkTicketAnswer, expectTicket } from './support/oracle.js';
import { TICKET_ROUTES as ROUTES } from './support/routes.js';

/**
 * The ticket routes under hostile requests, single- and multi-tenant (one
 * file, one pair of servers: each file costs seconds of start-up).
 */

const TIMEOUT = Math.max(60_000, FUZZ_RUNS * 20);
const startedAt = performance.now();
let single: FuzzTarget;
let multi: FuzzTarget;

beforeAll(async () => {
  [single, multi] = await Promise.all([startTarget(false), startTarget(true)]);
});

afterAll(async () => {
  printTally('tickets.fuzz', startedAt);
  await Promise.all([single?.t.stop(), multi?.t.stop()]);
});

function healthy(): void {
  for (const target of [single, multi]) expect(errorLines(target.t)).toEqual([]);
}

/**
 * Each answer is exactly the one docs/tickets.md prescribes (or, when framing
 * headers make that unknowable, one of the route's documented answers).
 */
describe('fuzz: ticket routes', () => {
  for (const [route, path] of ROUTES) {
    it(
      `POST ${path}: never a 5xx, always the documented answer`,
      async () => {
        await fuzz(`POST ${path}`, fc.tuple(fc.boolean(), ticketRequest(route, path)), async ([isMulti, req]) => {
          const target = isMulti ? multi : single;
          const a = await send(target.t, req, `POST ${path}`, target.pool);
          const expected = expectTicket(route, req, a.sent, target.tenancy, target.liveIn);
          checkTicketAnswer(route, a, expected, req.oddContentType);
        });
        for (const target of [single, multi]) {
          const ping = await target.t.server.inject({ method: 'GET', url: '/v1/ping' });
          expect(ping.statusCode).toBe(200);
        }
        healthy();
      },
      TIMEOUT,
    );
  }
});

/**
 * A payload comes back from use exactly as it was sent, compacted: numbers,
 * escapes and key order as written, only insignificant white space removed;
 * whatever else the create body holds (other fields, decoy "payload" keys
 * inside them, an earlier "payload" the last one replaces, an escaped key).
 */
describe('fuzz: payload round trip', () => {
  async function roundTripOnce(rt: RoundTrip): Promise<void> {
    const { t } = single;
    const create = { method: 'POST', url: '/v1/tickets', headers: {}, body: rt.body };
    const created = await send(t, create, 'POST /v1/tickets');
    checkEnvelope(created);
    check(created.status === 200, 'a valid create answers 200', created);
    const { ticket } = JSON.parse(created.body) as { ticket: string };
    const use = {
      method: 'POST',
      url: '/v1/tickets/use',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ticket }),
    };
    const used = await send(t, use, 'POST /v1/tickets/use');
    checkEnvelope(used);
    const expected = `{"uses":${rt.uses === 1 ? 0 : null},"payload":${rt.payload}}`;
    check(used.body === expected, `use should answer ${expected}`, used);
  }

  it(
    'use returns the payload text byte for byte (compacted)',
    async () => {
      await fuzz('payload round trip', roundTrip, roundTripOnce);
      healthy();
    },
    TIMEOUT,
  );
});

/**
 * Bodies over the limit (1 MiB) answer 413 2005 on every ticket route, with
 * or without a Content-Length (streamed), whatever they contain. Slow, so few.
 */
describe('fuzz: oversized bodies', () => {
  const RUNS_PER_ROUTE = 6;

  function bodyOf(kind: string, size: number): Buffer {
    switch (kind) {
      case 'payload-string': {
        const head = '{"ticket":"UrX/fTU0TaEEBv1ZlhpImz1c1Ts","payload":"';
        return Buffer.from(`${head}${'x'.repeat(size - head.length - 2)}"}`);
      }
      case 'deep':
        return Buffer.alloc(size, '[');
      case 'bytes': {
        const b = Buffer.alloc(size);
        for (let i = 0; i < size; i++) b[i] = (i * 7919) & 0xff;
        return b;
      }
      default:
        return Buffer.alloc(size, 'x');
    }
  }

  const oversized = fc.record({
    isMulti: fc.boolean(),
    project: fc.constantFrom(undefined, 'default', 'nope'),
    extra: fc.integer({ min: 1, max: 256 * 1024 }),
    kind: fc.constantFrom('payload-string', 'deep', 'bytes', 'junk'),
    stream: fc.boolean(),
    contentType: fc.constantFrom(undefined, 'application/json', 'text/plain'),
  });

  it.each(ROUTES)(
    '%s: over 1 MiB answers 413 2005 (after the project check when multi-tenant)',
    async (route, path) => {
      await fuzz(
        `oversized bodies ${path}`,
        oversized,
        async ({ isMulti, project, extra, kind, stream, contentType }) => {
          const target = isMulti ? multi : single;
          const headers: Record<string, string> = {};
          if (project) headers.project = project;
          if (contentType) headers['content-type'] = contentType;
          const req = { method: 'POST', url: path, headers, body: bodyOf(kind, BODY_LIMIT + extra) };
          // A streamed body has no Content-Length: HTTP then needs chunked transfer coding.
          const sent = stream ? { ...req, headers: { ...headers, 'transfer-encoding': 'chunked' }, stream } : req;
          const a = await send(target.t, sent, `POST ${path} (oversized)`);
          const expected = expectTicket(route, req, req.body, target.tenancy, target.liveIn);
          check(expected?.outcomes.length === 1, 'the oracle knows the answer', a);
          checkTicketAnswer(route, a, expected, false);
        },
        RUNS_PER_ROUTE,
      );
      healthy();
    },
  );

  it('exactly 1 MiB is still read and parsed', async () => {
    const head = '{"uses":1,"payload":"';
    const body = `${head}${'y'.repeat(BODY_LIMIT - head.length - 2)}"}`;
    expect(Buffer.byteLength(body)).toBe(BODY_LIMIT);
    const a = await send(single.t, { method: 'POST', url: '/v1/tickets', headers: {}, body }, 'POST /v1/tickets');
    checkTicketAnswer('create', a, { outcomes: [200], why: 'at the limit' }, false);
  });
});
