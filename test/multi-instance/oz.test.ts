import hawk from 'hawk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FreshStore } from '../helpers/backends.js';
import { spawnTicketd, type TicketdProcess } from '../helpers/process.js';
import { storeTargets } from '../helpers/targets.js';

/**
 * Three real ticketd processes on one store act as one Oz server (docs/oz.md,
 * "Hawk, as ticketd enforces it" and "The Iron password"; docs/operations.md), on one SQLite file,
 * one PostgreSQL schema and one Redis prefix:
 * - they start at once on a fresh store, none configured with an Iron
 *   password, and seal and unseal with the one each generated and the store
 *   kept (putMetaIfAbsent): a ticket sealed by each is opened by another;
 * - a Hawk (credentials id, nonce) pair is accepted once across all of
 *   them: a replay to another instance is 401 `Invalid nonce`, and of one
 *   header sent to every instance at once exactly one request passes;
 * - a grant revoked through the admin API of one stops reissue and
 *   authenticate on the others (401 `Invalid grant`).
 * PostgreSQL and Redis need their test servers (TICKETD_TEST_POSTGRES_URL,
 * TICKETD_TEST_REDIS_URL); without one that backend is skipped with a
 * message, except under CI=true, where it fails. Each run uses a fresh
 * schema / key prefix and removes it afterwards.
 *
 * Every instance is told the host and port clients sign for (as behind a
 * load balancer), so one header is valid on any of them. Headers are made
 * by hawk's own client at the real clock, as the processes use it.
 */
const MASTER = 'oz-multi-instance-master-token-0123456789';
const APP_ID = 'com.example.mymylet';
const SIGNED_FOR = 'https://api.example.com';
const TITLE = 'three ticketd instances, Oz';
const targets = storeTargets(TITLE, { cluster: true });

/** Rounds of "one header to every instance at once" (TICKETD_OZ_MULTI_ROUNDS). */
const ROUNDS = Number(process.env.TICKETD_OZ_MULTI_ROUNDS ?? 3);
/** Copies of one header each instance gets per round. */
const COPIES = 2;

interface Reply {
  status: number;
  body: Record<string, unknown>;
  wwwAuthenticate: string | null;
}

interface Credentials {
  id: string;
  key: string;
  app?: string;
}

type Ticket = Credentials & { app: string; grant: string; user: string; exp: number; scope: string[] };

/** An Authorization header from hawk's client for a POST to `path` at the signed-for host. */
function signed(path: string, credentials: Credentials, body?: string): string {
  return hawk.client.header(`${SIGNED_FOR}${path}`, 'POST', {
    credentials: { id: credentials.id, key: credentials.key, algorithm: 'sha256' },
    ...(credentials.app ? { app: credentials.app } : {}),
    ...(body !== undefined ? { payload: body, contentType: 'application/json' } : {}),
  }).header;
}

async function send(
  instance: TicketdProcess,
  method: string,
  path: string,
  options: { authorization?: string; body?: string; contentType?: string } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (options.authorization) headers.authorization = options.authorization;
  if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const res = await fetch(`${instance.url}${path}`, {
    method,
    headers,
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`${method} ${path}: ${res.status} answered non-JSON: ${text.slice(0, 200)}`);
  }
  return { status: res.status, body, wwwAuthenticate: res.headers.get('www-authenticate') };
}

/** A Hawk-signed POST of `payload` (JSON) to an Oz route. */
function signedPost(instance: TicketdProcess, path: string, credentials: Credentials, payload?: unknown) {
  const body = payload === undefined ? undefined : JSON.stringify(payload);
  return send(instance, 'POST', path, { authorization: signed(path, credentials, body), body });
}

/** What a resource server at api.example.com received, signed with `ticket`, as /v1/ticket/authenticate takes it. */
function received(ticket: Ticket): string {
  const url = '/v1/me?fields=dbs';
  const { header } = hawk.client.header(`${SIGNED_FOR}${url}`, 'GET', {
    credentials: { id: ticket.id, key: ticket.key, algorithm: 'sha256' },
    app: ticket.app,
  });
  return JSON.stringify({ method: 'GET', url, host: 'api.example.com', port: 443, authorization: header });
}

const boom = (message: string) => ({
  status: 401,
  body: { statusCode: 401, error: 'Unauthorized', message },
  wwwAuthenticate: `Hawk error="${message}"`,
});

/** "status message × count, ..." of a batch of answers, for failure messages. */
function tally(replies: Reply[]): string {
  const counts = new Map<string, number>();
  for (const r of replies) {
    const key = `${r.status} ${String(r.body.message ?? '')}`.trim();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k} × ${n}`).join(', ');
}

for (const target of targets) {
  describe(`${TITLE} on ${target.name}`, () => {
    const instances: TicketdProcess[] = [];
    let store: FreshStore | undefined;
    let appKey = '';
    let session = '';
    let profileId = '';

    const app = (): Credentials => ({ id: APP_ID, key: appKey });
    const instance = (i: number) => instances[i % instances.length] as TicketdProcess;

    /** A user ticket from POST /v1/ticket on instance `i` (a new grant each time). */
    async function issue(i: number): Promise<Ticket> {
      const res = await signedPost(instance(i), '/v1/ticket', app(), { session });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body as unknown as Ticket;
    }

    beforeAll(async () => {
      store = await target.prepare();
      const env = { TICKETD_MASTER_TOKEN: MASTER, TICKETD_OZ_HOST: 'api.example.com', TICKETD_OZ_PORT: '443' };
      // All three at once on the fresh store: each migrates, makes the master
      // token and generates an Iron password; the store keeps one of each.
      // allSettled: a process that did start is stopped in afterAll either way.
      const started = await Promise.allSettled([0, 1, 2].map(() => spawnTicketd({ store: store?.url ?? '', env })));
      for (const s of started) if (s.status === 'fulfilled') instances.push(s.value);
      const failed = started.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;

      const [first] = instances as [TicketdProcess];
      const created = await send(first, 'POST', '/admin/v1/apps', {
        authorization: `Bearer ${MASTER}`,
        body: JSON.stringify({ id: APP_ID, scope: ['mylet'], extAttributes: ['dbs'] }),
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      appKey = created.body.key as string;
      // The profile and the login (the session) on the other two: the master token is shared too.
      const form = (params: Record<string, string>) =>
        new URLSearchParams({ accessTokenId: MASTER, tenantName: 'default', ...params }).toString();
      const contentType = 'application/x-www-form-urlencoded';
      const profile = await send(instance(1), 'POST', '/api/1/profile/create', {
        contentType,
        body: form({
          username: 'jdoe',
          password: 'correct horse',
          email: 'jdoe@example.com',
          attributes: JSON.stringify({ dbs: 'db-9001' }),
        }),
      });
      expect(profile.status, JSON.stringify(profile.body)).toBe(200);
      profileId = profile.body.id as string;
      const login = await send(instance(2), 'POST', '/api/1/authentication/authenticate', {
        contentType,
        body: form({ username: 'jdoe', password: 'correct horse' }),
      });
      expect(login.status, JSON.stringify(login.body)).toBe(200);
      session = login.body.id as string;
    }, 45_000);

    afterEach(async (ctx) => {
      if (ctx.task.result?.state === 'fail') {
        for (const [n, i] of instances.entries()) console.error(`instance ${n + 1}:\n${i.output().slice(-4000)}`);
        console.error(`store: ${await store?.inspect?.().catch((err: unknown) => String(err))}`);
      }
    });

    afterAll(async () => {
      await Promise.all(instances.map((i) => i.stop()));
      await store?.cleanup();
    }, 20_000);

    it('one keyring: a ticket sealed by each instance is opened by another', async () => {
      // Sealed by 1 → reissued by 2 (sealed by 2) → authenticated by 3; reissued by 3 → authenticated by 1.
      const issued = await issue(0);
      // Sealed under the keyring's current key, which every instance shares.
      expect(issued.id).toMatch(/^Fe26\.2\*\w+\*/);
      expect(issued).toMatchObject({ app: APP_ID, user: profileId, scope: ['mylet'], ext: { dbs: 'db-9001' } });

      const second = await signedPost(instance(1), '/v1/ticket/reissue', issued);
      expect(second.status, JSON.stringify(second.body)).toBe(200);
      const reissued = second.body as unknown as Ticket;
      expect(reissued.grant).toBe(issued.grant);
      expect(reissued.key).not.toBe(issued.key);

      const checked = await send(instance(2), 'POST', '/v1/ticket/authenticate', { body: received(reissued) });
      expect(checked.status, JSON.stringify(checked.body)).toBe(200);
      expect(checked.body.ticket).toMatchObject({ id: reissued.id, grant: issued.grant, user: profileId, app: APP_ID });
      expect(checked.body.artifacts).toMatchObject({ method: 'GET', resource: '/v1/me?fields=dbs', app: APP_ID });

      const third = await signedPost(instance(2), '/v1/ticket/reissue', reissued);
      expect(third.status, JSON.stringify(third.body)).toBe(200);
      const back = await send(instance(0), 'POST', '/v1/ticket/authenticate', {
        body: received(third.body as unknown as Ticket),
      });
      expect(back.status, JSON.stringify(back.body)).toBe(200);
      expect((back.body.ticket as Ticket).grant).toBe(issued.grant);
    });

    it('a Hawk header accepted by one instance is refused by every other: 401 Invalid nonce', async () => {
      for (const origin of [0, 1, 2]) {
        // App credentials (POST /v1/ticket): the nonce is the app's.
        const body = JSON.stringify({ session });
        const authorization = signed('/v1/ticket', app(), body);
        const first = await send(instance(origin), 'POST', '/v1/ticket', { authorization, body });
        expect(first.status, JSON.stringify(first.body)).toBe(200);
        for (const other of [origin + 1, origin + 2]) {
          expect(await send(instance(other), 'POST', '/v1/ticket', { authorization, body })).toEqual(
            boom('Invalid nonce'),
          );
        }
        // Ticket credentials (a resource server's POST /v1/ticket/authenticate): the nonce is the ticket's.
        const request = received(first.body as unknown as Ticket);
        const ok = await send(instance(origin + 1), 'POST', '/v1/ticket/authenticate', { body: request });
        expect(ok.status, JSON.stringify(ok.body)).toBe(200);
        for (const other of [origin + 2, origin + 3]) {
          expect(await send(instance(other), 'POST', '/v1/ticket/authenticate', { body: request })).toEqual(
            boom('Invalid nonce'),
          );
        }
      }
    });

    it(`of one header sent to every instance at once, exactly one request passes, ${ROUNDS} rounds`, async () => {
      const ticket = await issue(0);
      const all = COPIES * instances.length;
      for (let round = 0; round < ROUNDS; round++) {
        // An app ticket (POST /oz/app, app credentials) ...
        const authorization = signed('/oz/app', app());
        const apps = await Promise.all(
          Array.from({ length: all }, (_, i) => send(instance(i), 'POST', '/oz/app', { authorization })),
        );
        expect(apps.filter((r) => r.status === 200).length, `round ${round}, /oz/app: ${tally(apps)}`).toBe(1);
        expect(apps.filter((r) => r.status !== 200)).toEqual(Array(all - 1).fill(boom('Invalid nonce')));
        // ... and a request a resource server received (user ticket credentials).
        const request = received(ticket);
        const checks = await Promise.all(
          Array.from({ length: all }, (_, i) =>
            send(instance(i), 'POST', '/v1/ticket/authenticate', { body: request }),
          ),
        );
        expect(checks.filter((r) => r.status === 200).length, `round ${round}, authenticate: ${tally(checks)}`).toBe(1);
        expect(checks.filter((r) => r.status !== 200)).toEqual(Array(all - 1).fill(boom('Invalid nonce')));
      }
    });

    it('a grant revoked through the admin API of one instance stops reissue on the others: 401 Invalid grant', async () => {
      const ticket = await issue(0);
      // Live on every instance first.
      for (const i of [1, 2]) {
        expect((await signedPost(instance(i), '/v1/ticket/reissue', ticket)).status).toBe(200);
      }
      const listed = await send(instance(2), 'GET', `/admin/v1/grants?user=${encodeURIComponent(profileId)}`, {
        authorization: `Bearer ${MASTER}`,
      });
      expect(listed.status).toBe(200);
      expect((listed.body as unknown as { id: string }[]).map((g) => g.id)).toContain(ticket.grant);

      const revoked = await send(instance(1), 'DELETE', `/admin/v1/grants/${encodeURIComponent(ticket.grant)}`, {
        authorization: `Bearer ${MASTER}`,
      });
      expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
      expect(revoked.body).toMatchObject({ id: ticket.grant, app: APP_ID, user: profileId });

      for (const i of [2, 0, 1]) {
        expect(await signedPost(instance(i), '/v1/ticket/reissue', ticket)).toEqual(boom('Invalid grant'));
        expect(await send(instance(i), 'POST', '/v1/ticket/authenticate', { body: received(ticket) })).toEqual(
          boom('Invalid grant'),
        );
      }
      const again = await send(instance(0), 'DELETE', `/admin/v1/grants/${encodeURIComponent(ticket.grant)}`, {
        authorization: `Bearer ${MASTER}`,
      });
      expect(again.status).toBe(404);
      // Other grants of the same session are untouched.
      const other = await issue(2);
      expect((await signedPost(instance(0), '/v1/ticket/reissue', other)).status).toBe(200);
    });
  });
}
