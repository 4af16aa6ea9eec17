import type { TObject, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adminErrors, adminValidationCodes } from '../../src/admin/errors.js';
import { type AdminOperation, pathParams } from '../../src/admin/operation.js';
import { ADMIN_OPERATIONS } from '../../src/admin/operations.js';
import { ticketErrors, validationCodes } from '../../src/tickets/errors.js';
import { admin, createProfile, createToken, MASTER, ok, startTestTicketd, type TestTicketd } from '../admin/support.js';
import { type Answer, check, FUZZ_RUNS, FUZZ_SEED, type FuzzRequest, fuzz, send, tally } from './support/harness.js';

/**
 * Every route of the admin API (/admin/v1, one per operation of
 * ADMIN_OPERATIONS) under generated requests: each parameter of the
 * operation's schema with plausible, live, odd and wrongly typed values,
 * unknown fields, junk query strings and path segments, broken, non-object,
 * deep, non-UTF-8 and oversized bodies, any content type, wrong methods, and
 * good, missing, non-master, expired and junk credentials. Whatever comes in,
 * the answer is a documented one: never a 5xx; JSON `{code, error}` with a
 * code of the catalogs at its status, one the route can give; a success has
 * the route's status and result shape.
 *
 * Runs per route: TICKETD_FUZZ_RUNS (harness.ts). Seeded: TICKETD_FUZZ_SEED.
 */
const RUNS = FUZZ_RUNS;

const startedAt = performance.now();
let t: TestTicketd;

/** Records that exist when a route's run starts (the run may end some: that is fine). */
const pool = {
  tenants: [] as string[],
  profiles: [] as string[],
  tokens: [] as string[],
  apps: [] as string[],
  grants: [] as string[],
  webhooks: [] as string[],
};
const creds = { nonMaster: '', expired: '' };

beforeAll(async () => {
  t = await startTestTicketd({ config: { log_level: 'warn' } });
  creds.nonMaster = await createToken(t, { tenantPermissions: [{ tenant: '*', allowedActions: ['*'] }] });
  creds.expired = await createToken(t, { master: true, expiresOn: t.clock.now() + 1 });
  t.clock.advance(10);
});

afterAll(async () => {
  const secs = ((performance.now() - startedAt) / 1000).toFixed(1);
  const rows = [...tally].map(([route, n]) => `  ${route}: ${n} (${successes.get(route) ?? 0} 2xx)`).join('\n');
  console.log(`[fuzz] admin.fuzz: seed ${FUZZ_SEED}, ${RUNS} runs per route, ${secs} s\n${rows}`);
  await t?.stop();
});

/** Fresh records before each route; tenants an earlier route created are removed, so that every route starts alike. */
let round = 0;
beforeEach(async () => {
  round += 1;
  const { store } = t;
  for (const tenant of await store.tenants.list()) {
    if (tenant.name !== 'default') await store.deleteTenant(tenant.name);
  }
  ok(await admin(t, 'POST', '/tenants', { name: 'fuzz', availableRoles: ['A', 'B'] }), 201);
  pool.tenants = ['default', 'fuzz'];
  pool.profiles = [];
  for (let i = 0; i < 3; i++) {
    pool.profiles.push((await createProfile(t, { tenant: i % 2 ? 'fuzz' : 'default', username: `f${round}-${i}` })).id);
  }
  pool.tokens = [await createToken(t, {}), await createToken(t, { master: true })];
  pool.apps = [];
  for (let i = 0; i < 2; i++) {
    const id = `com.fuzz.app${round}-${i}`;
    ok(await admin(t, 'POST', '/apps', { id, tenant: i % 2 ? 'fuzz' : 'default', scope: ['a'] }), 201);
    pool.apps.push(id);
  }
  pool.grants = [];
  for (let i = 0; i < 2; i++) {
    const id = `g${round}-${i}`;
    await t.store.grants.create({
      id,
      tenant: 'default',
      app: pool.apps[0] as string,
      user: pool.profiles[0] as string,
      scope: ['a'],
      exp: t.clock.now() + 3_600_000,
      session: null,
      createdOn: t.clock.now(),
    });
    pool.grants.push(id);
  }
  pool.webhooks = [];
  for (const tenant of ['default', 'fuzz']) {
    const hook = ok(
      await admin(t, 'POST', '/webhooks', { url: 'https://hooks.example.com/x', events: ['*'], tenant }),
      201,
    );
    pool.webhooks.push(hook.id as string);
  }
});

// ---- generators --------------------------------------------------------------------

const oddText = fc.constantFrom(
  '',
  ' ',
  'true',
  'false',
  '0',
  '-1',
  '1.5',
  '1e309',
  'NaN',
  'null',
  '[]',
  '{}',
  '{"a":1}',
  '__proto__',
  'constructor',
  '..',
  '%',
  '%zz',
  '\u0000',
  '\u001b[2J',
  '\uffff',
  '\ud800',
  'default',
  'fuzz',
  '*',
  'A',
  'MANAGE_TICKETS',
  'x@y.z',
  'é'.repeat(150),
  'a'.repeat(300),
  '5925a68def86951f895cf497',
  '7f036af3-1ab9-4791-b615-ecaece3f0010',
  '2027-01-01T00:00:00Z',
  '2026-02-30T25:61:00Z',
);

const text = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...pool.tenants, ...pool.profiles, ...pool.tokens) },
    { weight: 3, arbitrary: oddText },
    { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/) },
    { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
    { weight: 1, arbitrary: fc.stringMatching(/^[0-9a-f]{24}$/) },
    { weight: 1, arbitrary: fc.uuid().map(String) },
  );

const number = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -2, max: 2000 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      0,
      1,
      -1,
      2_147_483_647,
      2_147_483_648,
      2 ** 53,
      -(2 ** 53),
      8.64e15,
      8.64e15 + 1,
      1e300,
    ),
  },
  { weight: 1, arbitrary: fc.double() },
);

const anyJson = fc.jsonValue({ maxDepth: 4 });

interface JsonSchema {
  type?: string;
  const?: unknown;
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
}

/** Realistic values for parameters known by name, so that generated requests also reach the success paths. */
function realistic(name: string): fc.Arbitrary<unknown> | undefined {
  switch (name) {
    case 'email':
      return fc.emailAddress();
    case 'tenant':
      return fc.constantFrom(...pool.tenants);
    case 'name':
      return fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/);
    case 'username':
    case 'password':
    case 'application':
      return fc.string({ minLength: 1, maxLength: 20 });
    case 'roles':
    case 'availableRoles':
      return fc.subarray(['A', 'B']);
    case 'attributes':
      return fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 3 });
    case 'url':
      return fc.constantFrom('https://hooks.example.com/x', 'http://127.0.0.1:9/hook', 'ftp://x', 'not a url');
    case 'events':
      return fc.subarray(['ticket.created', 'ticket.used', 'session.ended', '*', 'nope.nope'], { minLength: 1 });
    case 'id':
      return fc.uuid().map(String);
    default:
      return undefined;
  }
}

/** Values a client might send for a parameter of this schema: mostly of its type, sometimes out of range. */
function plausible(schema: JsonSchema): fc.Arbitrary<unknown> {
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map(plausible));
  if (schema.const !== undefined) return fc.oneof(fc.constant(schema.const), text());
  switch (schema.type) {
    case 'integer':
    case 'number':
      return number;
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'string':
      return text();
    case 'array': {
      const item = schema.items ? plausible(schema.items) : anyJson;
      return fc.oneof(
        { weight: 5, arbitrary: fc.array(item, { maxLength: 4 }) },
        { weight: 1, arbitrary: fc.integer({ min: 90, max: 1100 }).map((n) => Array(n).fill('A')) },
      );
    }
    case 'object': {
      const props = schema.properties;
      if (props) {
        const fields = Object.fromEntries(Object.entries(props).map(([k, s]) => [k, plausible(s)]));
        return fc.record(fields, { requiredKeys: [] });
      }
      return fc.oneof(fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 4 }), deepObject);
    }
    default:
      return anyJson;
  }
}

const deepObject = fc.integer({ min: 20, max: 60 }).map((n) => {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = { d: v };
  return v;
});

/** The parameters of `op` other than its path parameters. */
function restOf(op: AdminOperation): TObject['properties'] {
  const path = pathParams(op);
  return Object.fromEntries(Object.entries(op.params.properties).filter(([k]) => !path.includes(k)));
}

/**
 * A parameter object: known fields (realistic, plausible or any JSON; the
 * required ones mostly present), sometimes unknown ones or a path parameter.
 */
function fieldsOf(op: AdminOperation, all: boolean): fc.Arbitrary<Record<string, unknown>> {
  const props = all ? op.params.properties : restOf(op);
  const required = new Set(op.params.required ?? []);
  const known = fc
    .record(
      Object.fromEntries(
        Object.entries(props).map(([k, s]: [string, TSchema]) => {
          const good = realistic(k);
          const value = fc.oneof(
            { weight: good ? 8 : 0, arbitrary: good ?? anyJson },
            { weight: 4, arbitrary: plausible(s as JsonSchema) },
            { weight: 1, arbitrary: anyJson },
          );
          return [k, fc.option(value, { freq: required.has(k) ? 12 : 2, nil: undefined })];
        }),
      ),
    )
    .map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));
  const unknown = fc.dictionary(
    fc.oneof(fc.constantFrom('__proto__', 'constructor', 'name', 'id', 'tenant', 'x'), fc.string({ maxLength: 10 })),
    anyJson,
    { maxKeys: 2 },
  );
  return fc
    .tuple(known, fc.option(unknown, { freq: 4, nil: undefined }))
    .map(([k, u]) => (u ? Object.assign(Object.create(null), k, u) : k));
}

const BIG = `{"name":"${'x'.repeat(1024 * 1024 + 10)}"}`;

const junkBody = fc.oneof(
  fc.constantFrom(
    '',
    'null',
    '[]',
    '[1]',
    '"x"',
    '12',
    'true',
    '{',
    '{"a":',
    '{"a":1}}',
    '{"a":1,}',
    "{'a':1}",
    ' \n ',
  ),
  fc.integer({ min: 60, max: 200 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 60, max: 200 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
  fc
    .uint8Array({ minLength: 1, maxLength: 40 })
    .map((b) => Buffer.concat([Buffer.from('{"name":"'), b, Buffer.from('"}')])),
  fc.constant(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0x80, 0x22, 0x7d])),
  fc.constant(BIG),
);

function body(op: AdminOperation): fc.Arbitrary<string | Buffer | undefined> {
  return fc.oneof(
    { weight: 12, arbitrary: fieldsOf(op, false).map((f) => JSON.stringify(f)) },
    { weight: 1, arbitrary: fieldsOf(op, true).map((f) => JSON.stringify(f)) },
    { weight: 3, arbitrary: junkBody },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

/** Percent-encoded; a lone surrogate (which has no UTF-8) becomes U+FFFD first. */
const enc = (s: string) =>
  encodeURIComponent(s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'));

function queryOf(op: AdminOperation): fc.Arbitrary<string> {
  const inQuery = op.method === 'GET' || op.method === 'DELETE';
  const pairs = fieldsOf(op, false).map((f) =>
    Object.entries(f).map(([k, v]) => [k, typeof v === 'string' ? v : (JSON.stringify(v) ?? '')] as [string, string]),
  );
  const junk = fc.constantFrom('', '&', '%zz=1', 'a=%zz', '=', 'a', 'a&a', 'tenant=a&tenant=b', 'limit=1&limit=2');
  return fc
    .tuple(
      fc.oneof({ weight: inQuery ? 6 : 1, arbitrary: pairs }, { weight: inQuery ? 1 : 8, arbitrary: fc.constant([]) }),
      fc.option(junk, { freq: 6, nil: undefined }),
    )
    .map(([kv, j]) => {
      const parts = kv.map(([k, v]) => `${enc(k)}=${enc(v)}`);
      if (j) parts.push(j);
      return parts.length > 0 ? `?${parts.join('&')}` : '';
    });
}

/** A path segment: mostly a live record of the route's resource, else anything. */
function segment(op: AdminOperation): fc.Arbitrary<string> {
  const byResource: Record<string, string[]> = {
    tenant: pool.tenants,
    profile: pool.profiles,
    'access-token': pool.tokens,
    app: pool.apps,
    grant: pool.grants,
    webhook: pool.webhooks,
    stats: [],
  };
  const live = byResource[op.resource] ?? [];
  return fc.oneof(
    { weight: live.length > 0 ? 8 : 0, arbitrary: fc.constantFrom('', ...live).map(enc) },
    { weight: 8, arbitrary: text().map(enc) },
    { weight: 1, arbitrary: fc.constantFrom('%zz', '%', '%C0%80', '%ED%A0%80', 'a%2Fb', '..', '.', '%00') },
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 5000 }).map((n) => 'a'.repeat(n)) },
  );
}

function routePath(op: AdminOperation): fc.Arbitrary<string> {
  const names = pathParams(op);
  return fc
    .tuple(
      fc.array(segment(op), { minLength: names.length, maxLength: names.length }),
      fc.oneof(
        { weight: 12, arbitrary: fc.constant('') },
        { weight: 1, arbitrary: fc.constantFrom('/', '/x', '/unlock', '/..', '.json', '//') },
      ),
    )
    .map(([values, suffix]) => {
      let i = 0;
      return `/admin/v1${op.path.replace(/:[A-Za-z]+/g, () => values[i++] as string)}${suffix}`;
    });
}

type CredentialKind = 'master' | 'none' | 'nonMaster' | 'expired' | 'unknown' | 'junk';

const credential: fc.Arbitrary<{ kind: CredentialKind; header: string | undefined }> = fc.oneof(
  { weight: 40, arbitrary: fc.constant({ kind: 'master' as const, header: `Bearer ${MASTER}` }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'none' as const, header: undefined }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('nonMaster' as const, 'expired' as const).map((kind) => ({
      kind,
      header: `Bearer ${kind === 'nonMaster' ? creds.nonMaster : creds.expired}`,
    })),
  },
  { weight: 1, arbitrary: fc.uuid().map((u) => ({ kind: 'unknown' as const, header: `Bearer ${u}` })) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        fc.string({ maxLength: 40 }),
        fc.constantFrom('Bearer', 'Bearer ', `Basic ${MASTER}`, MASTER, `${MASTER} `),
      )
      .map((h) => ({ kind: 'junk' as const, header: h })),
  },
);

const contentType = fc.option(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data',
    'garbage;;',
    '',
  ),
  { nil: undefined },
);

const METHODS = ['GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'HEAD', 'OPTIONS'] as const;

interface AdminRequest extends FuzzRequest {
  kind: CredentialKind;
}

function request(op: AdminOperation): fc.Arbitrary<AdminRequest> {
  return fc
    .record({
      method: fc.oneof(
        { weight: 12, arbitrary: fc.constant(op.method) },
        { weight: 1, arbitrary: fc.constantFrom(...METHODS) },
      ),
      path: routePath(op),
      query: queryOf(op),
      cred: credential,
      type: contentType,
      body: body(op),
    })
    .map(({ method, path, query, cred, type, body }) => {
      const headers: Record<string, string> = {};
      if (cred.header !== undefined) headers.authorization = cred.header;
      if (type !== undefined && body !== undefined) headers['content-type'] = type;
      const withBody = method !== 'GET' && method !== 'HEAD';
      return { method, url: path + query, headers, body: withBody ? body : undefined, kind: cred.kind };
    });
}

// ---- oracle ---------------------------------------------------------------------------

/** code → status, from every catalog an admin answer may use. */
const STATUS_OF = new Map<number, number>([
  ...Object.values(adminErrors).map((e) => [e.code, e.status] as [number, number]),
  ...Object.values(ticketErrors).map((e) => [e.code, e.status] as [number, number]),
]);
const VALIDATION_CODES = new Set<number>([
  ...Object.values(validationCodes).map((e) => e.code),
  ...Object.values(adminValidationCodes).map((e) => e.code),
]);
/** Codes any routed admin request may get, whatever the operation. */
const COMMON = [2003, 2004, 2005];

const routeRegex = (op: AdminOperation) =>
  // Fastify routes an empty segment to a parameter (`/tenants/` is `/tenants/:name` with name "").
  new RegExp(`^/admin/v1${op.path.replace(/:[A-Za-z]+/g, '[^/]*')}$`);
const ROUTES = ADMIN_OPERATIONS.map((op) => ({ op, re: routeRegex(op) }));

/** The path as sent: dot segments resolved, as inject (and every HTTP client) does. */
function pathOf(url: string): string {
  try {
    return new URL(url, 'http://localhost').pathname;
  } catch {
    return url.split('?')[0] as string;
  }
}

/** The operation Fastify routes this request to, if any. */
function routed(method: string, url: string): AdminOperation | undefined {
  const path = pathOf(url);
  const m = method === 'HEAD' ? 'GET' : method;
  return ROUTES.find((r) => r.op.method === m && r.re.test(path))?.op;
}

/** A path Fastify refuses before routing (bad percent-encoding, a segment over maxParamLength): 102001, unchecked credential. */
function malformedUrl(url: string): boolean {
  const path = pathOf(url);
  if (path.split('/').some((segment) => segment.length > 4096)) return true;
  try {
    decodeURI(path);
    return false;
  } catch {
    return true;
  }
}

function json(a: Answer): unknown {
  try {
    return JSON.parse(a.body);
  } catch {
    check(false, 'body is not JSON', a);
  }
}

/** The log line of an internal error, to show with the failure. */
function loggedError(a: Answer): string {
  const id = /"error_id":"([0-9a-f-]+)"/.exec(a.body)?.[1];
  if (!id) return '';
  return (
    t
      .logs()
      .split('\n')
      .find((l) => l.includes(id) && l.includes('"err"')) ?? ''
  ).slice(0, 1500);
}

function checkAnswer(req: AdminRequest, a: Answer): void {
  check(a.status < 500, `never a 5xx ${loggedError(a)}`, a);
  check(String(a.headers['content-type'] ?? '').startsWith('application/json'), 'answers JSON', a);
  const head = req.method === 'HEAD';
  if (head) check(a.body === '', 'HEAD has no body', a);
  const op = routed(req.method, req.url);

  if (a.status < 300) {
    check(req.kind === 'master', 'only the master token succeeds', a);
    check(op !== undefined, 'a success comes from a route', a);
    check(a.status === (op.status ?? 200), `success status ${op.status ?? 200}`, a);
    if (!head) check(Value.Check(op.result, json(a)), 'the success has the result shape of the route', a);
    return;
  }
  if (head) {
    check([400, 401, 403, 404, 409, 413].includes(a.status), 'a documented error status', a);
    return;
  }
  const b = json(a) as Record<string, unknown>;
  check(typeof b === 'object' && b !== null && !Array.isArray(b), 'an object', a);
  const code = b.code as number;
  check(typeof code === 'number' && typeof b.error === 'string', '{code, error}', a);
  check(STATUS_OF.get(code) === a.status, `code ${code} answers with its catalog status`, a);
  for (const k of Object.keys(b)) check(['code', 'error', 'detail', 'invalid'].includes(k), `no field ${k}`, a);
  if (b.detail !== undefined) check(typeof b.detail === 'string', 'detail is text', a);

  if (malformedUrl(req.url) && code === 102001) return;
  // Dot segments can take the path out of /admin/v1 (`/admin/v1/tenants/../..` is `/admin/`): the root's 404, no credential check.
  if (!/^\/admin\/v1(\/|$)/.test(pathOf(req.url))) {
    check(code === 102001, 'outside /admin/v1: 102001', a);
    return;
  }
  if (req.kind !== 'master') {
    const expected = req.kind === 'nonMaster' ? 103002 : 103001;
    check(code === expected, `credential ${req.kind} answers ${expected}`, a);
    if (code === 103001) check(a.headers['www-authenticate'] === 'Bearer realm="ticketd"', 'WWW-Authenticate', a);
    return;
  }
  if (!op) {
    check(code === 102001, 'no route: 102001', a);
    return;
  }
  const allowed = new Set<number>([...COMMON, ...op.errors.map((n) => adminErrors[n].code)]);
  check(allowed.has(code), `code ${code} is one ${op.resource} ${op.verb} can answer`, a);
  if (code === 2004) {
    const invalid = b.invalid as { field: unknown; code: unknown; error: unknown }[];
    check(Array.isArray(invalid) && invalid.length >= 1 && invalid.length <= 20, '2004 lists 1-20 fields', a);
    for (const f of invalid) {
      check(typeof f.field === 'string' && typeof f.error === 'string', 'invalid entries name a field', a);
      check(VALIDATION_CODES.has(f.code as number), `validation code ${String(f.code)} is documented`, a);
    }
  } else check(b.invalid === undefined, 'invalid only on 2004', a);
}

function errorLines(): string[] {
  return t
    .logs()
    .split('\n')
    .filter((l) => l.trim() !== '' && (JSON.parse(l) as { level: number }).level >= 50);
}

/** 2xx answers per route: the generators must reach the success paths too. */
const successes = new Map<string, number>();

describe('fuzz: admin API', () => {
  for (const op of ADMIN_OPERATIONS) {
    const label = `${op.method} /admin/v1${op.path}`;
    it(
      `${label} (${op.resource} ${op.verb}): documented answers only, never a 5xx`,
      async () => {
        await fuzz(
          `admin ${label}`,
          request(op),
          async (req) => {
            const a = await send(t, req, label);
            if (a.status < 300) successes.set(label, (successes.get(label) ?? 0) + 1);
            try {
              checkAnswer(req, a);
            } catch (err) {
              const sent = a.sent === undefined ? '' : ` body ${JSON.stringify(String(a.sent).slice(0, 300))}`;
              (err as Error).message =
                `${req.method} ${req.url.slice(0, 300)} (${req.kind})${sent}\n${(err as Error).message}`;
              throw err;
            }
          },
          RUNS,
        );
        expect(errorLines()).toEqual([]);
        // The generators reach the route's success too (a delete at most once per record of the pool).
        if (RUNS >= 500) expect(successes.get(label) ?? 0, 'successful requests').toBeGreaterThanOrEqual(1);
        // The run left the server serving its master token.
        ok(await admin(t, 'GET', '/stats'));
      },
      Math.max(120_000, RUNS * 60),
    );
  }
});
