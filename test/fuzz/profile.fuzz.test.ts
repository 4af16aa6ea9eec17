import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { profileErrors } from '../../src/profile/errors.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import {
  api,
  apiCreateProfile,
  apiJson,
  authenticate,
  createTenant,
  createToken,
  MASTER,
  ok,
  type PersistentLoginJson,
  startTestTicketd,
  type TestTicketd,
  type TicketJson,
} from '../profile/support.js';
import { type Answer, check, FUZZ_RUNS, type FuzzRequest, fuzz, printTally, send } from './support/harness.js';
import { PROFILE_ROUTES as ROUTES, type ProfileRoute as Route } from './support/routes.js';

/**
 * Every route of the profile surface (/api/1) under generated requests:
 * wrong and missing parameters of every type, malformed ids, every body
 * encoding (form, query string, JSON, garbage, bad UTF-8, deep nesting),
 * good, limited, unknown and missing access tokens, wrong methods. Whatever
 * comes in, the answer is a documented one: never a 5xx, always JSON with an
 * errorCode of the catalog at that code's status, within the time limit.
 *
 * Runs per route: TICKETD_FUZZ_RUNS (harness.ts). Seeded: TICKETD_FUZZ_SEED.
 */
const RUNS = FUZZ_RUNS;

/** errorCode → the statuses the catalog allows it. */
const ALLOWED = new Map<string, Set<number>>();
for (const e of Object.values(profileErrors)) {
  const set = ALLOWED.get(e.errorCode) ?? new Set<number>();
  set.add(e.status);
  ALLOWED.set(e.errorCode, set);
}

const startedAt = performance.now();
let t: TestTicketd;
/** Ids that exist when the run starts (some end during it: that is fine). */
const live = {
  profiles: [] as string[],
  tickets: [] as string[],
  logins: [] as string[],
  tokens: [] as string[],
  usernames: [] as string[],
  passwords: [] as string[],
};

beforeAll(async () => {
  t = await startTestTicketd({ store: new SqliteStore(':memory:') });
});

/** Fresh records before each route, so that every route meets live ones (earlier routes may have ended them). */
let round = 0;
beforeEach(async () => {
  round += 1;
  for (const list of Object.values(live)) list.length = 0;
  if (!(await t.tenants.get('fuzz'))) await createTenant(t, 'fuzz', { availableRoles: ['A', 'B'] });
  live.tokens.push(
    await createToken(t, { tenantPermissions: [{ tenant: 'default', allowedActions: ['MANAGE_TICKETS'] }] }),
    await createToken(t, { tenantPermissions: [{ tenant: '*', allowedActions: ['*'] }], expiresOn: t.clock.now() + 1 }),
  );
  for (let i = 0; i < 4; i++) {
    const p = await apiCreateProfile(t, { tenantName: i % 2 ? 'fuzz' : 'default', username: `fuzz-${round}-${i}` });
    live.profiles.push(p.id);
    live.usernames.push(p.username);
    live.passwords.push(p.password);
    live.tickets.push(ok<TicketJson>(await authenticate(t, p.username, p.password, p.tenant)).id);
    live.logins.push(
      ok<PersistentLoginJson>(await api(t, 'POST', '/authentication/persistent_login/create', { profileId: p.id })).id,
    );
  }
});

afterAll(async () => {
  printTally('profile.fuzz', startedAt);
  await t?.stop();
});

// ---- generators --------------------------------------------------------------------

const oddText = fc.constantFrom(
  '',
  ' ',
  'true',
  'false',
  'on',
  '0',
  '-1',
  '1e309',
  'NaN',
  'null',
  'undefined',
  '[]',
  '{}',
  '{"a":1}',
  '{"__proto__":{"x":1}}',
  '$none',
  '..',
  '%',
  '%zz',
  '\u0000',
  '\uffff',
  '\ud800',
  'a,b,,c',
  'A,B',
  'default',
  'fuzz',
  '*',
  'fuzz-1-0',
  'x@y.z',
  'é'.repeat(300),
  '5925a68def86951f895cf497',
  '7f036af3-1ab9-4791-b615-ecaece3f0010',
);

const idLike = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(...live.profiles, ...live.tickets, ...live.logins, ...live.tokens),
    fc.stringMatching(/^[0-9a-f]{24}$/),
    fc.uuid().map((u) => u.toString()),
    oddText,
    fc.string({ maxLength: 30 }),
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.integer({ min: 1, max: 5000 }).map((n) => 'a'.repeat(n)),
  );

const scalar = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 4, arbitrary: idLike() },
    { weight: 1, arbitrary: fc.integer() },
    { weight: 1, arbitrary: fc.double() },
    { weight: 1, arbitrary: fc.boolean() },
    { weight: 1, arbitrary: fc.constant(null) },
  );

const value = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 5, arbitrary: scalar() },
    { weight: 1, arbitrary: fc.array(scalar(), { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), scalar(), { maxKeys: 3 }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  );

const token = (): fc.Arbitrary<string | undefined> =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constant(MASTER) },
    { weight: 2, arbitrary: fc.constantFrom(...live.tokens) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: idLike() },
  );

/** A path segment: a live record of the route's kind mostly, else anything URL-encoded, or a few raw forms. */
const segment = (route: Route): fc.Arbitrary<string> => {
  const kind = route.path.startsWith('/profile/')
    ? live.profiles
    : route.path.startsWith('/authentication/ticket/')
      ? live.tickets
      : route.path.startsWith('/authentication/persistent_login/')
        ? live.logins
        : route.path.startsWith('/access_token/')
          ? live.tokens
          : ['default', 'fuzz', 'nope'];
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...kind) },
    { weight: 4, arbitrary: idLike().map(pct) },
    { weight: 1, arbitrary: fc.constantFrom('%zz', '%', '%C0%AF', '%00', '%E2%82', '.', '...', 'a/b', 'all', ';x=1') },
  );
};

/** Percent-encodes every byte of the UTF-8 form but the unreserved ones (lone surrogates become U+FFFD). */
function pct(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const contentTypes = fc.constantFrom(
  'application/json',
  'application/x-www-form-urlencoded',
  'application/json; charset=utf-8',
  'text/plain',
  'application/xml',
  'multipart/form-data; boundary=x',
  '',
  'garbage',
);

const rawBody = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc.integer({ min: 1, max: 2000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 1, max: 2000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
  fc.constantFrom('{', '[1,2]', '"x"', 'null', '{"accessTokenId":1}', 'a=1&a=2&role=%zz', '%%%', '{"a":1}{"b":2}'),
);

/** Values a well-behaved client would send, so that generated requests also reach deep into each route. */
function plausible(name: string): fc.Arbitrary<unknown> {
  switch (name) {
    case 'tenantName':
      return fc.constantFrom('default', 'fuzz');
    case 'username':
      return fc.oneof(fc.constantFrom(...live.usernames), fc.stringMatching(/^[a-z]{1,10}$/));
    case 'password':
    case 'newPassword':
      return fc.oneof(fc.constantFrom(...live.passwords), fc.constant('wrong'));
    case 'profileId':
      return fc.constantFrom(...live.profiles);
    case 'ticketId':
      return fc.constantFrom(...live.tickets);
    case 'email':
      return fc.constantFrom('x@y.z', 'a.b@example.com');
    case 'enabled':
    case 'verifyNewProfiles':
    case 'master':
      return fc.constantFrom('true', 'false', true, false);
    case 'role':
    case 'availableRoles':
      return fc.constantFrom('A', ['A', 'B'], 'A,B', []);
    case 'attributes':
      return fc.constantFrom('{"a":1}', '{}', { b: [1, 2] });
    case 'attributeToReturn':
      return fc.constantFrom('a', '$none', ['a', 'b']);
    case 'name':
      return fc.stringMatching(/^[a-z0-9._-]{1,12}$/);
    case 'ticketMax':
    case 'lockTime':
      return fc.nat({ max: 1000 });
    case 'application':
      return fc.stringMatching(/^[a-z]{1,12}$/);
    case 'expiresOn':
      return fc.oneof(
        fc.constant(null),
        fc.nat(),
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      );
    case 'id':
      return fc.uuid().map(String);
    default:
      return value();
  }
}

/** A parameter: plausible mostly, anything sometimes, absent sometimes. */
const param = (name: string) =>
  fc.oneof(
    { weight: 4, arbitrary: plausible(name) },
    { weight: 2, arbitrary: value() },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );

interface Generated {
  method: string;
  segment: string;
  params: Record<string, unknown>;
  token: string | undefined;
  encoding: 'form' | 'query' | 'json' | 'raw' | 'none';
  contentType: string;
  raw: string | Buffer;
}

function generator(route: Route): fc.Arbitrary<Generated> {
  const names = [
    ...route.params,
    ...(route.record === 'tenant' ? ['name', 'verifyNewProfiles', 'availableRoles', 'ticketMax', 'lockTime'] : []),
  ];
  const tokenFields = ['id', 'application', 'master', 'tenantPermissions', 'expiresOn'];
  const keys = route.record === 'token' ? tokenFields : names;
  const known =
    keys.length === 0
      ? fc.constant({} as Record<string, unknown>)
      : fc.record(Object.fromEntries(keys.map((k) => [k, param(k)])) as Record<string, fc.Arbitrary<unknown>>);
  const permissions = fc.array(
    fc.record({
      tenant: fc.oneof(fc.constantFrom('*', 'default', 'fuzz'), fc.string({ maxLength: 5 })),
      allowedActions: fc.array(fc.constantFrom('*', 'MANAGE_TICKETS', 'READ_TENANT', 'FLY'), { maxLength: 3 }),
    }),
    { maxLength: 3 },
  );
  return fc.record({
    method: fc.oneof(
      { weight: 12, arbitrary: fc.constant(route.method) },
      { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH') },
    ),
    segment: segment(route),
    params: fc
      .tuple(known, fc.dictionary(fc.string({ maxLength: 10 }), value(), { maxKeys: 2 }), permissions, fc.boolean())
      .map(([k, extra, perms, usePerms]) => ({
        ...extra,
        ...k,
        ...(route.record === 'token' && usePerms ? { tenantPermissions: perms } : {}),
      })),
    token: token(),
    // GET routes read the query string (a body is ignored): mostly that, sometimes something else.
    encoding:
      route.method === 'GET'
        ? fc.oneof(
            { weight: 6, arbitrary: fc.constant('query' as const) },
            fc.constantFrom('form', 'json', 'raw', 'none'),
          )
        : route.record
          ? fc.oneof(
              { weight: 4, arbitrary: fc.constant('json' as const) },
              fc.constantFrom('form', 'query', 'raw', 'none'),
            )
          : fc.constantFrom('form', 'form', 'query', 'json', 'raw', 'none'),
    contentType: contentTypes,
    raw: rawBody,
  });
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? 'null');
}

function toRequest(route: Route, g: Generated): FuzzRequest {
  const path = `/api/1${route.path.replace(/\{(id|name)\}/, g.segment)}`;
  const params: Record<string, unknown> = { ...g.params };
  if (g.token !== undefined) params.accessTokenId = g.token;
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) search.append(k, text(one));
  }
  const tokenQuery = g.token === undefined ? '' : `?accessTokenId=${pct(g.token)}`;
  switch (g.encoding) {
    case 'query':
      return { method: g.method, url: `${path}?${search}`, headers: {} };
    case 'form':
      return {
        method: g.method,
        url: path,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: search.toString(),
      };
    case 'json':
      return {
        method: g.method,
        url: route.record ? `${path}${tokenQuery}` : path,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(params),
      };
    case 'raw': {
      const headers: Record<string, string> = g.contentType ? { 'content-type': g.contentType } : {};
      return { method: g.method, url: `${path}${tokenQuery}`, headers, body: g.raw };
    }
    default:
      return { method: g.method, url: `${path}${tokenQuery}`, headers: {} };
  }
}

/** The invariants every answer of the surface keeps. */
function checkAnswer(route: Route, a: Answer): void {
  check(a.status < 500, 'no 5xx', a);
  if (a.status === 200 && route.empty && a.body === '') return;
  const ct = String(a.headers['content-type'] ?? '');
  check(ct.startsWith('application/json'), 'a JSON answer', a);
  let body: unknown;
  try {
    body = JSON.parse(a.body);
  } catch {
    check(false, 'the body parses as JSON', a);
  }
  if (a.status === 200) return;
  check(typeof body === 'object' && body !== null && !Array.isArray(body), 'an error is an object', a);
  const e = body as Record<string, unknown>;
  check(Object.keys(e).join() === 'errorCode,message', 'an error is exactly {errorCode, message}', a);
  check(typeof e.message === 'string', 'message is a string', a);
  const statuses = ALLOWED.get(String(e.errorCode));
  check(statuses?.has(a.status), `errorCode ${String(e.errorCode)} is in the catalog with status ${a.status}`, a);
  check(!a.body.includes('scrypt$'), 'never a password hash', a);
}

describe('fuzz: profile surface', () => {
  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s: every answer is documented, never a 5xx',
    async (label, route) => {
      await fuzz(
        `profile ${label}`,
        generator(route),
        async (g) => {
          const a = await send(t as never, toRequest(route, g), label);
          checkAnswer(route, a);
        },
        RUNS,
      );
    },
  );

  it('still serves correctly afterwards', async () => {
    const p = await apiCreateProfile(t, { username: 'after-the-storm' });
    expect(p.tenant).toBe('default');
    const ticket = ok<TicketJson>(await authenticate(t, p.username, p.password));
    expect(ok<TicketJson>(await api(t, 'GET', `/authentication/ticket/${ticket.id}`)).profileId).toBe(p.id);
    ok(await apiJson(t, '/tenant/create', { name: 'after-the-storm' }));
  });
});
