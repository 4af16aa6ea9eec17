import * as Iron from '@hapi/iron';
import fc from 'fast-check';
import hawk from 'hawk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/core/access-tokens.js';
import { ozErrors } from '../../src/oz/errors.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import type { OzAppRecord } from '../../src/store/types.js';
import {
  appCredentials,
  createApp,
  createProfileId,
  type HawkCredentials,
  HOST,
  login,
  PORT,
  post,
  startTestTicketd,
  type TestTicketd,
  tamper,
  ticketCredentials,
  userTicket,
} from '../oz/support.js';
import { type Answer, check, FUZZ_RUNS, type FuzzRequest, fuzz, printTally, send } from './support/harness.js';
import { OZ_ROUTES as ROUTES } from './support/routes.js';

/**
 * Every route of the Oz surface under generated requests: Hawk headers
 * signed with hawk's own client by good, wrong, tampered, foreign, oversized
 * and garbage credentials (stale and non-numeric timestamps, odd ext,
 * payload hashes that match or not, replays), garbage and oversized headers,
 * bodies of every shape (right fields, wrong types, random JSON, bad UTF-8,
 * deep nesting, over the body limit), odd content types and Host headers;
 * unknown /oz paths. Whatever comes in, the answer is a documented one:
 * never a 5xx, Boom-shaped with a message of the catalog at its status,
 * WWW-Authenticate on every 401, success bodies in their shapes, nothing
 * logged at error level, within the time limit. Every route's success is reached.
 *
 * Runs per route: TICKETD_FUZZ_RUNS (harness.ts). Seeded: TICKETD_FUZZ_SEED.
 */
const RUNS = FUZZ_RUNS;

const startedAt = performance.now();
let t: TestTicketd;
let app: OzAppRecord;
let other: OzAppRecord;

/** Live material the generators pick from (made once: nothing in the Oz surface ends it, and the clock stands still). */
const live = {
  sessions: [] as string[],
  deadSessions: [] as string[],
  userTickets: [] as Record<string, unknown>[],
  appTickets: [] as Record<string, unknown>[],
  delegated: [] as Record<string, unknown>[],
  rsvps: [] as string[],
  badIds: [] as string[],
};

beforeAll(async () => {
  t = await startTestTicketd({ store: new SqliteStore(':memory:') });
  app = await createApp(t, { id: 'com.example.fuzz', scope: ['a', 'b'], delegate: true, extAttributes: ['dbs'] });
  other = await createApp(t, { id: 'com.example.other', scope: ['a'] });
  for (let i = 0; i < 4; i++) {
    const profile = await createProfileId(t, { attributes: { dbs: `db-${i}`, n: i } });
    live.sessions.push(await login(t, profile));
    live.userTickets.push((await userTicket(t, i % 2 ? other : app, profile)).ticket);
    const rsvp = await post(t, '/v1/rsvp', null, { session: live.sessions[i], app: app.id });
    live.rsvps.push(rsvp.body.rsvp as string);
  }
  const ended = await login(t, await createProfileId(t));
  await t.identity.logins.invalidateTicket(SYSTEM_ACTOR, ended);
  live.deadSessions.push(ended, '00000000-0000-4000-8000-000000000000');
  for (const a of [app, other]) live.appTickets.push((await post(t, '/oz/app', appCredentials(a))).body);
  const toDelegate = live.userTickets[0] as Record<string, unknown>;
  live.delegated.push(
    (await post(t, '/v1/ticket/reissue', ticketCredentials(toDelegate), { issueTo: other.id, scope: ['a'] })).body,
  );
  const id = toDelegate.id as string;
  live.badIds.push(
    tamper(id),
    id.replace('Fe26.2**', 'Fe26.1**'),
    id.split('*').slice(0, 7).join('*'),
    await Iron.seal({ ...toDelegate, id: undefined }, 'f'.repeat(32), Iron.defaults),
    live.rsvps[0] as string,
    'Fe26.2**',
    '********',
  );
});

afterAll(async () => {
  printTally('oz.fuzz', startedAt);
  if (process.env.TICKETD_FUZZ_VERBOSE) {
    console.log(
      [...statuses]
        .sort()
        .map(([k, n]) => `  ${k}: ${n}`)
        .join('\n'),
    );
  }
  await t?.stop();
});

// ---- generators ------------------------------------------------------------------------

const odd = fc.constantFrom(
  '',
  ' ',
  '"',
  '\\',
  'null',
  '\u0000',
  '\ud800',
  'é',
  '%zz',
  'Fe26.2**',
  '*'.repeat(7),
  'com.example.fuzz',
  'com.example.other',
  'com.example.none',
);

const text = (max = 40) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.string({ maxLength: max }) },
    { weight: 2, arbitrary: odd },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: max }) },
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 6000 }).map((n) => 'x'.repeat(n)) },
  );

const jsonish = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 3, arbitrary: text() },
    { weight: 1, arbitrary: fc.integer() },
    { weight: 1, arbitrary: fc.double() },
    { weight: 1, arbitrary: fc.boolean() },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.array(text(10), { maxLength: 5 }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );

const scope = () =>
  fc.oneof(
    fc.subarray(['a', 'b']),
    fc.constantFrom(['a', 'x'], ['a', 'a'], [''], [null], [1], 'a', {}),
    fc.array(text(8), { maxLength: 5 }),
  );

type Creds = HawkCredentials | null;

/** Credentials a route is mostly signed with, and the others. */
function creds(kind: 'app' | 'user' | 'appTicket' | 'any'): fc.Arbitrary<Creds> {
  const appCreds = fc.constantFrom(appCredentials(app), appCredentials(other));
  const users = fc.constantFrom(...[...live.userTickets, ...live.delegated].map(ticketCredentials));
  const appTickets = fc.constantFrom(...live.appTickets.map(ticketCredentials));
  const fitting = { app: appCreds, user: users, appTicket: appTickets, any: fc.oneof(appCreds, users, appTickets) }[
    kind
  ];
  const base = fc.oneof(users, appTickets, appCreds);
  return fc.oneof(
    { weight: 16, arbitrary: fitting },
    { weight: 2, arbitrary: base },
    // Wrong key, tampered / foreign / truncated ids, an rsvp as an id.
    { weight: 2, arbitrary: fc.tuple(base, text(50)).map(([c, k]) => ({ ...c, key: k || 'k' })) },
    {
      weight: 2,
      arbitrary: fc.tuple(base, fc.constantFrom(...live.badIds)).map(([c, id]) => ({ ...c, id })),
    },
    { weight: 1, arbitrary: fc.tuple(base, text()).map(([c, id]) => ({ ...c, id: id || 'i' })) },
    { weight: 1, arbitrary: fc.constant(null) },
  );
}

interface Signing {
  creds: Creds;
  /** Seconds from the server's clock. */
  skew: number | 'nan';
  ext: string | undefined;
  hash: 'none' | 'body' | 'other';
  /** Header app / dlg: the ticket's, none, or something else. */
  app: 'ticket' | 'none' | 'other';
  /** Replace the whole header with this text. */
  garbage: string | undefined;
  host: 'right' | 'wrong' | 'missing' | 'long' | 'odd';
  contentType: string | undefined;
}

const garbageHeader = fc.oneof(
  text(80),
  fc.constantFrom(
    'Hawk',
    'Hawk ',
    'Bearer x',
    'Basic YTpi',
    'Hawk id="a"',
    'Hawk id="a", ts="1", nonce="n", mac="m"',
    'Hawk id="a", id="a", ts="1", nonce="n", mac="m"',
    'Hawk id="a", ts="1", nonce="n", mac="m", zz="1"',
    'Hawk id="\u00e9", ts="1", nonce="n", mac="m"',
    'Hawk id=a, ts=1',
  ),
  fc.integer({ min: 4000, max: 9000 }).map((n) => `Hawk id="${'a'.repeat(n)}", ts="1", nonce="n", mac="m"`),
  fc
    .tuple(text(20), text(20), text(20), text(20))
    .map(([id, ts, nonce, mac]) => `Hawk id="${id}", ts="${ts}", nonce="${nonce}", mac="${mac}"`),
);

function signing(kind: 'app' | 'user' | 'appTicket' | 'any'): fc.Arbitrary<Signing> {
  return fc.record({
    creds: creds(kind),
    skew: fc.oneof(
      { weight: 10, arbitrary: fc.constant(0) },
      { weight: 2, arbitrary: fc.integer({ min: -59, max: 59 }) },
      { weight: 1, arbitrary: fc.constantFrom(-61, 61, -100_000, 100_000) },
      { weight: 1, arbitrary: fc.constant('nan' as const) },
    ),
    ext: fc.option(
      fc.string({ maxLength: 20 }).map((s) => s.replace(/[^ -~]/g, '')),
      { nil: undefined },
    ),
    hash: fc.constantFrom('none', 'none', 'none', 'body', 'body', 'other'),
    app: fc.oneof(
      { weight: 8, arbitrary: fc.constant('ticket' as const) },
      { weight: 1, arbitrary: fc.constantFrom('none' as const, 'other' as const) },
    ),
    garbage: fc.oneof({ weight: 12, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: garbageHeader }),
    host: fc.oneof(
      { weight: 12, arbitrary: fc.constant('right' as const) },
      { weight: 1, arbitrary: fc.constantFrom('wrong' as const, 'missing' as const, 'long' as const, 'odd' as const) },
    ),
    contentType: fc.oneof(
      { weight: 8, arbitrary: fc.constant('application/json') },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          undefined,
          'text/plain',
          'application/json; charset=utf-8',
          'APPLICATION/JSON',
          'application/x-www-form-urlencoded',
          'application/json; charset=',
          ';;;',
          'é/é',
        ),
      },
    ),
  });
}

/** Bodies: mostly the route's own shape with plausible and odd values, else anything. */
function body(route: string): fc.Arbitrary<string | Buffer | undefined> {
  const shaped: Record<string, fc.Arbitrary<unknown>> = {
    ticket: fc.record(
      {
        session: fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom(...live.sessions) },
          { weight: 2, arbitrary: fc.constantFrom(...live.deadSessions) },
          { weight: 2, arbitrary: jsonish() },
        ),
        extra: jsonish(),
      },
      { requiredKeys: [] },
    ),
    reissue: fc.record(
      { scope: scope(), issueTo: fc.oneof(fc.constantFrom(app.id, other.id), jsonish()) },
      { requiredKeys: [] },
    ),
    rsvpCreate: fc.record(
      {
        session: fc.oneof(fc.constantFrom(...live.sessions, ...live.deadSessions), jsonish()),
        app: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(app.id, other.id) }, { weight: 1, arbitrary: jsonish() }),
        scope: scope(),
      },
      { requiredKeys: [] },
    ),
    ozRsvp: fc.record(
      {
        rsvp: fc.oneof(
          { weight: 5, arbitrary: fc.constantFrom(...live.rsvps) },
          { weight: 2, arbitrary: fc.constantFrom(...live.badIds) },
          { weight: 1, arbitrary: jsonish() },
        ),
      },
      { requiredKeys: [] },
    ),
    authenticate: authenticateBody(),
    ozApp: jsonish(),
  };
  const json = (shaped[route] ?? jsonish()).map((v) => JSON.stringify(v) ?? '');
  return fc.oneof(
    { weight: 240, arbitrary: json },
    { weight: 40, arbitrary: fc.constant(undefined) },
    { weight: 20, arbitrary: fc.constantFrom('', 'null', '{', '[]', '"x"', '1', '{"a":1}{', '\ufeff{}') },
    { weight: 20, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
    { weight: 20, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
    { weight: 20, arbitrary: fc.integer({ min: 60, max: 400 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`) },
    { weight: 20, arbitrary: fc.constant(Buffer.from([0x7b, 0x22, 0xc0, 0x80, 0x22, 0x3a, 0x31, 0x7d])) },
    { weight: 1, arbitrary: fc.constant(`{"session":"${'s'.repeat(1024 * 1024 + 10)}"}`) },
  );
}

/** The parts of a request a resource server received, signed by hawk's client (or not quite). */
function authenticateBody(): fc.Arbitrary<unknown> {
  return fc
    .record({
      creds: creds('any'),
      payload: fc.option(fc.string({ maxLength: 30 }), { nil: undefined }),
      hash: fc.boolean(),
      skew: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(-120, 120) }),
      mutate: fc.oneof(
        { weight: 8, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constantFrom('port', 'url', 'host', 'method', 'payload', 'authorization') },
      ),
      odd: fc.record({ port: jsonish(), url: jsonish(), host: jsonish(), method: jsonish(), authorization: jsonish() }),
      extra: fc.option(fc.dictionary(text(8), jsonish(), { maxKeys: 2 }), { nil: undefined }),
    })
    .map(({ creds: c, payload, hash, skew, mutate, odd: o, extra }) => {
      const url = '/things?x=1';
      let authorization = 'Hawk';
      if (c) {
        try {
          authorization = hawk.client.header(`https://api.example.com${url}`, 'POST', {
            credentials: { id: c.id, key: c.key, algorithm: c.algorithm },
            ...(c.app ? { app: c.app } : {}),
            ...(c.dlg ? { dlg: c.dlg } : {}),
            timestamp: Math.floor(t.clock.now() / 1000) + skew,
            ...(hash && payload !== undefined ? { payload, contentType: 'text/plain' } : {}),
          }).header;
        } catch {
          authorization = `Hawk id="${c.id}"`;
        }
      }
      const parts: Record<string, unknown> = {
        method: 'POST',
        url,
        host: 'api.example.com',
        port: 443,
        authorization,
        ...(payload !== undefined ? { payload, contentType: 'text/plain' } : {}),
        ...extra,
      };
      if (mutate) parts[mutate] = mutate === 'payload' ? `${payload ?? ''}!` : o[mutate as keyof typeof o];
      return parts;
    });
}

// ---- sending and checking ----------------------------------------------------------------

const lastHeader = new Map<string, string>();
const successes = new Map<string, number>();
let replayTick = 0;

function buildHeaders(route: string, path: string, s: Signing, payload: string | Buffer | undefined) {
  const headers: Record<string, string> = {};
  const hostValue = {
    right: `${HOST}:${PORT}`,
    wrong: 'evil.example:5200',
    missing: undefined,
    long: 'h'.repeat(5000),
    odd: 'a b/c',
  }[s.host];
  if (hostValue !== undefined) headers.host = hostValue;
  if (s.contentType !== undefined && payload !== undefined) headers['content-type'] = s.contentType;
  // Every 23rd request of a route replays the route's previous header.
  replayTick += 1;
  const previous = lastHeader.get(route);
  if (previous && replayTick % 23 === 0) {
    headers.authorization = previous;
    return headers;
  }
  if (s.garbage !== undefined) {
    headers.authorization = s.garbage;
    return headers;
  }
  if (!s.creds) return headers;
  const c = s.creds;
  // A timestamp that is no number, signed as it is (hawk's client takes it).
  const ts = s.skew === 'nan' ? ('abc' as unknown as number) : Math.floor(t.clock.now() / 1000) + s.skew;
  const app = s.app === 'ticket' ? c.app : s.app === 'other' ? other.id : undefined;
  // The hash of the bytes sent, with the content type sent (or of other bytes).
  const sentType = payload === undefined ? '' : (s.contentType ?? '');
  const bytes = payload === undefined ? Buffer.alloc(0) : Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const hash =
    s.hash === 'body'
      ? hawk.crypto.calculatePayloadHash(bytes, 'sha256', sentType)
      : s.hash === 'other'
        ? hawk.crypto.calculatePayloadHash(Buffer.concat([bytes, Buffer.from('?')]), 'sha256', sentType)
        : undefined;
  try {
    const header = hawk.client.header(`http://${HOST}:${PORT}${path}`, 'POST', {
      credentials: { id: c.id, key: c.key, algorithm: c.algorithm },
      timestamp: ts,
      ...(s.ext ? { ext: s.ext } : {}),
      ...(app ? { app, ...(c.dlg && s.app === 'ticket' ? { dlg: c.dlg } : {}) } : {}),
      ...(hash ? { hash } : {}),
    }).header;
    headers.authorization = header;
    lastHeader.set(route, header);
  } catch {
    headers.authorization = `Hawk id="${c.id}", ts="1", nonce="n", mac="m"`;
  }
  return headers;
}

/** Routes that are not Hawk-signed: an Authorization header, when there is one, plays no part. */
function openHeaders(s: Signing, payload: string | Buffer | undefined): Record<string, string> {
  return {
    host: `${HOST}:${PORT}`,
    ...(s.contentType !== undefined && payload !== undefined ? { 'content-type': s.contentType } : {}),
    ...(s.garbage !== undefined ? { authorization: s.garbage } : {}),
  };
}

/** (status, message) pairs the catalog documents. */
function documented(status: number, message: string): boolean {
  return Object.values(ozErrors).some((e) => e.status === status && (e.message === null || e.message === message));
}

const TICKET_KEYS = /^exp,app,scope(,grant,user)?(,dlg)?,key,algorithm,ext,id$/;

/** Answers per route and status (printed at the end): how deep the generated requests reached. */
const statuses = new Map<string, number>();

function checkAnswer(route: string, a: Answer): void {
  check(a.status < 500, 'never a 5xx', a);
  const key = `${route} ${a.status} ${a.status === 200 ? '' : String(/"message":"([^"]{0,60})/.exec(a.body)?.[1] ?? '')}`;
  statuses.set(key, (statuses.get(key) ?? 0) + 1);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(a.body) as Record<string, unknown>;
  } catch {
    check(false, 'the answer is JSON', a);
    return;
  }
  if (a.status === 200) {
    successes.set(route, (successes.get(route) ?? 0) + 1);
    if (route === 'rsvpCreate') check(typeof json.rsvp === 'string' && Object.keys(json).length === 1, 'an rsvp', a);
    else if (route === 'authenticate') {
      check(Object.keys(json).join(',') === 'ticket,artifacts', 'ticket and artifacts', a);
      check(!('key' in (json.ticket as object)), 'never the key', a);
    } else check(TICKET_KEYS.test(Object.keys(json).join(',')), 'a ticket in the seed’s key order', a);
    return;
  }
  if (route === 'wrongMethod' && a.status === 404 && json.code === 102001) return;
  const { statusCode, error, message } = json;
  check(statusCode === a.status && typeof error === 'string' && typeof message === 'string', 'Boom’s shape', a);
  check(documented(a.status, message as string), `a documented ${a.status} message`, a);
  if (a.status === 401) check(String(a.headers['www-authenticate'] ?? '').startsWith('Hawk'), 'WWW-Authenticate', a);
  if (message === 'Expired ticket') check(json.expired === true, 'expired: true', a);
}

describe('Oz surface fuzz', () => {
  for (const route of ROUTES) {
    it(`${route.path}: documented answers only, never a 5xx`, async () => {
      await fuzz(
        `oz ${route.path}`,
        fc.tuple(signing(route.creds), body(route.body)),
        async ([s, payload]) => {
          const headers = route.open ? openHeaders(s, payload) : buildHeaders(route.name, route.path, s, payload);
          const req: FuzzRequest = { method: 'POST', url: route.path, headers, body: payload };
          checkAnswer(route.name, await send(t, req, `POST ${route.path}`));
        },
        RUNS,
      );
      expect(successes.get(route.name) ?? 0, `no request to ${route.path} succeeded`).toBeGreaterThan(0);
    }, 600_000);
  }

  it('unknown /oz paths and other methods: 404', async () => {
    await fuzz(
      'oz unknown routes',
      fc.tuple(
        fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'POST'),
        fc.oneof(
          text(30).map((p) => `/oz/${encodeURIComponent(p.replace(/[\uD800-\uDFFF]/g, '\uFFFD'))}`),
          fc.constantFrom('/v1/ticket', '/v1/ticket/reissue', '/oz/app', '/oz/rsvp', '/v1/rsvp'),
        ),
        body('ozApp'),
      ),
      async ([method, url, payload]) => {
        const known = ['/v1/ticket', '/v1/ticket/reissue', '/oz/app', '/oz/rsvp', '/v1/rsvp'].includes(url);
        if (method === 'POST' && known) return;
        const req: FuzzRequest = {
          method,
          url,
          headers: { host: `${HOST}:${PORT}`, 'content-type': 'application/json' },
          body: method === 'GET' ? undefined : payload,
        };
        const a = await send(t, req, 'unknown');
        check(a.status === 404, 'not found', a);
        checkAnswer('wrongMethod', a);
      },
      Math.max(100, Math.floor(RUNS / 4)),
    );
  });

  it('nothing was logged at error level', () => {
    const errors = t
      .logs()
      .split('\n')
      .filter((l) => /"level":(50|60)/.test(l));
    expect(errors).toEqual([]);
  });
});
