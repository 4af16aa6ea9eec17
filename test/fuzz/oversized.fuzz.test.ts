import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check, fuzz, printTally, send } from './support/harness.js';
import { errorLines, type FuzzTarget, startTarget } from './support/instances.js';
import { BODY_LIMIT, checkTicketAnswer, expectTicket, type TicketRoute } from './support/oracle.js';

/**
 * Bodies over the limit (1 MiB) answer 413 2005 on every ticket route, with
 * or without a Content-Length (streamed), whatever they contain. Slow, so few.
 */

const ROUTES: Array<[TicketRoute, string]> = [
  ['create', '/v1/tickets'],
  ['use', '/v1/tickets/use'],
  ['delete', '/v1/tickets/delete'],
  ['peek', '/v1/tickets/peek'],
];

/** Per route. */
const OVERSIZED_RUNS = 6;

const startedAt = performance.now();
let single: FuzzTarget;
let multi: FuzzTarget;

beforeAll(async () => {
  [single, multi] = await Promise.all([startTarget(false, 4), startTarget(true, 4)]);
});

afterAll(async () => {
  printTally('oversized.fuzz', startedAt);
  await Promise.all([single?.t.stop(), multi?.t.stop()]);
});

function bodyOf(kind: string, size: number): Buffer {
  switch (kind) {
    case 'payload-string': {
      const head = '{"ticket":"$LIVE1","payload":"';
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

describe('fuzz: oversized bodies', () => {
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
          const a = await send(target.t, sent, `POST ${path} (oversized)`, target.pool);
          const expected = expectTicket(route, req, req.body, target.tenancy, target.liveIn);
          check(expected?.outcomes.length === 1, 'the oracle knows the answer', a);
          checkTicketAnswer(route, a, expected, false);
        },
        OVERSIZED_RUNS,
      );
      for (const target of [single, multi]) expect(errorLines(target.t)).toEqual([]);
    },
    120_000,
  );

  it('exactly 1 MiB is still read and parsed', async () => {
    const head = '{"uses":1,"payload":"';
    const body = `${head}${'y'.repeat(BODY_LIMIT - head.length - 2)}"}`;
    expect(Buffer.byteLength(body)).toBe(BODY_LIMIT);
    const a = await send(single.t, { method: 'POST', url: '/v1/tickets', headers: {}, body }, 'POST /v1/tickets');
    checkTicketAnswer('create', a, { outcomes: [200], why: 'at the limit' }, false);
  });
});
