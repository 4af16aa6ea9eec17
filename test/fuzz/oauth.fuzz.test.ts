import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASTER } from '../helpers/ticketd.js';
import { check, FUZZ_RUNS, fuzz, printTally, send } from './support/harness.js';
import { errorLines, type FuzzTarget, startTarget } from './support/instances.js';
import { OAUTH_ROUTES } from './support/routes.js';

/**
 * The OAuth endpoints (docs/oauth.md) under hostile requests: any body, any
 * content type, any Authorization header, live tickets among the tokens.
 * Never a 5xx; a 200 is the documented answer (introspection: a JSON object
 * with a boolean `active`; revocation: empty); every refusal is an OAuth
 * error body with a 4xx.
 */

const TIMEOUT = Math.max(60_000, FUZZ_RUNS * 20);
const startedAt = performance.now();
let target: FuzzTarget;

beforeAll(async () => {
  target = await startTarget(false, 16);
});
afterAll(async () => {
  printTally('oauth.fuzz', startedAt);
  await target?.t.stop();
});

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('$LIVE0', '$LIVE3', 'Fe26.2**x*y', MASTER, '', '%', '%ZZ', '+', '&', '='),
  fc.string({ minLength: 8000, maxLength: 9000 }),
);
const form = fc
  .array(fc.tuple(fc.constantFrom('token', 'token_type_hint', 'x', 'TOKEN', ''), text), { maxLength: 4 })
  .map((pairs) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&'));
const body = fc.oneof(
  { weight: 4, arbitrary: form },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.json().map((j) => j) },
);
const contentType = fc.constantFrom(
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded;charset=UTF-8',
  'application/json',
  'text/plain',
  'multipart/form-data; boundary=x',
  undefined,
);
const authorization = fc.oneof(
  fc.constant(`Bearer ${MASTER}`),
  fc.constant(undefined),
  fc.string({ maxLength: 60 }).map((s) => `Bearer ${s}`),
  fc.string({ maxLength: 60 }),
  fc.constant(`Basic ${Buffer.from('a:b').toString('base64')}`),
);

describe('fuzz: OAuth endpoints', () => {
  for (const [method, path] of OAUTH_ROUTES) {
    it(
      `${method} ${path}: never a 5xx, always a documented answer`,
      async () => {
        const req = fc.record({ body, contentType, authorization, query: fc.string({ maxLength: 20 }) });
        await fuzz(`${method} ${path}`, req, async (r) => {
          const headers: Record<string, string> = {};
          if (r.contentType) headers['content-type'] = r.contentType;
          if (r.authorization !== undefined) headers.authorization = r.authorization;
          const url = r.query ? `${path}?${encodeURIComponent(r.query)}` : path;
          const a = await send(
            target.t,
            { method, url, headers, body: method === 'POST' ? r.body : undefined },
            `${method} ${path}`,
            target.pool,
          );
          check(a.status < 500, 'never a 5xx', a);
          if (method === 'GET') {
            check(a.status === 200 && typeof JSON.parse(a.body).issuer === 'string', 'metadata always', a);
            return;
          }
          if (a.status === 200) {
            if (path === '/oauth/introspect') {
              check(typeof JSON.parse(a.body).active === 'boolean', 'introspection: active is a boolean', a);
            } else check(a.body === '', 'revocation: an empty 200', a);
            check(a.headers['cache-control'] === 'no-store', 'no-store', a);
            return;
          }
          check([400, 401].includes(a.status), 'a refusal is 400 or 401', a);
          const e = JSON.parse(a.body) as { error?: unknown; error_description?: unknown };
          check(typeof e.error === 'string' && typeof e.error_description === 'string', 'an OAuth error body', a);
          if (a.status === 401) check(String(a.headers['www-authenticate']).startsWith('Bearer '), 'a challenge', a);
        });
        expect(errorLines(target.t)).toEqual([]);
      },
      TIMEOUT,
    );
  }
});
