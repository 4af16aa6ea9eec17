import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ticketRequest } from './support/arbitraries.js';
import { FUZZ_RUNS, fuzz, printTally, send } from './support/harness.js';
import { errorLines, type FuzzTarget, startTarget } from './support/instances.js';
import { checkTicketAnswer, expectTicket, type TicketRoute } from './support/oracle.js';

/**
 * Every ticket route, single- and multi-tenant, with hostile bodies and
 * headers: each answer is exactly the one tickets.md prescribes (or, when
 * framing headers make that unknowable, one of the route's documented answers).
 */

const ROUTES: Array<[TicketRoute, string]> = [
  ['create', '/v1/tickets'],
  ['use', '/v1/tickets/use'],
  ['peek', '/v1/tickets/peek'],
  ['delete', '/v1/tickets/delete'], // last: it removes pool tickets
];

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
          expect(errorLines(target.t)).toEqual([]);
        }
      },
      Math.max(60_000, FUZZ_RUNS * 20),
    );
  }
});
