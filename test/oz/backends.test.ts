import hawk from 'hawk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import type { OzAppRecord, Store } from '../../src/store/types.js';
import { type FreshStore, freshStore, type ServerBackend, serverUrl } from '../helpers/backends.js';
import {
  appCredentials,
  createApp,
  createProfileId,
  hawkHeader,
  login,
  type OzReply,
  post,
  startTestTicketd,
  type TestTicketd,
  ticketCredentials,
  verifyServerAuthorization,
} from './support.js';

/**
 * The whole Oz flow, once per backend, in-process (server.inject, manual
 * clock): session → POST /v1/ticket → reissue → a resource server's
 * POST /v1/ticket/authenticate (and its replay) → the profile disabled
 * through the admin API → reissue, authenticate and a new ticket refused.
 * SQLite is the helper's own temp file (memory with TICKETD_TEST_STORE=memory);
 * PostgreSQL and Redis get a fresh schema / key prefix on their test servers
 * (TICKETD_TEST_POSTGRES_URL, TICKETD_TEST_REDIS_URL), skipped with a message
 * when not set, failing under CI=true.
 */
interface Target {
  name: string;
  /** The store to run on (undefined: the helper's default) and how to remove it. */
  prepare: () => Promise<{ store?: Store; fresh?: FreshStore }>;
}

const TITLE = 'Oz flow in-process';
const MASTER = 'test-master-token-0123456789abcdef'; // startTestTicketd's master token
const targets: Target[] = [
  { name: process.env.TICKETD_TEST_STORE === 'memory' ? 'memory' : 'sqlite', prepare: async () => ({}) },
];
for (const backend of ['postgres', 'redis'] as ServerBackend[]) {
  const base = serverUrl(backend, TITLE);
  if (base) {
    targets.push({
      name: backend,
      prepare: async () => {
        const fresh = freshStore(backend, base);
        return { store: await openStore(fresh.url), fresh };
      },
    });
  }
}

const expectBoom = (res: OzReply, message: string) => {
  expect([res.status, res.body]).toEqual([401, { statusCode: 401, error: 'Unauthorized', message }]);
  expect(res.headers['www-authenticate']).toBe(`Hawk error="${message}"`);
};

for (const target of targets) {
  describe(`${TITLE} on ${target.name}`, () => {
    let t: TestTicketd | undefined;
    let fresh: FreshStore | undefined;
    let app: OzAppRecord;

    beforeAll(async () => {
      const prepared = await target.prepare();
      fresh = prepared.fresh;
      t = await startTestTicketd(prepared.store ? { store: prepared.store } : {});
      app = await createApp(t, { scope: ['mylet'], extAttributes: ['dbs'] });
    }, 20_000);

    afterEach(async (ctx) => {
      if (ctx.task.result?.state === 'fail') {
        console.error(`ticketd log:\n${t?.logs().slice(-4000)}`);
        console.error(`store: ${await fresh?.inspect?.().catch((err: unknown) => String(err))}`);
      }
    });

    afterAll(async () => {
      await t?.stop(); // closes the store too
      await fresh?.cleanup();
    }, 20_000);

    it('session → user ticket → reissue → authenticate → profile disabled → refused', async () => {
      const oz = t as TestTicketd;
      expect(oz.store.kind).toBe(target.name);
      const profile = await createProfileId(oz, { attributes: { dbs: 'db-42', secret: 'not for apps' } });
      const session = await login(oz, profile);

      // 1. The app exchanges the session for a user ticket (its own credentials).
      const body = JSON.stringify({ session });
      const authorization = hawkHeader(oz, '/v1/ticket', appCredentials(app), body, { hash: true });
      const issued = await post(oz, '/v1/ticket', null, body, { authorization });
      expect(issued.status, issued.text).toBe(200);
      const ticket = issued.body;
      expect(Object.keys(ticket)).toEqual(['exp', 'app', 'scope', 'grant', 'user', 'key', 'algorithm', 'ext', 'id']);
      expect(ticket).toMatchObject({ app: app.id, user: profile, scope: ['mylet'], ext: { dbs: 'db-42' } });
      verifyServerAuthorization('/v1/ticket', appCredentials(app), authorization, issued);
      const grants = await oz.store.grants.list({ user: profile }, oz.clock.now(), 10);
      expect(grants.map((g) => g.id)).toEqual([ticket.grant]);

      // 2. Reissue, signed with the ticket: same grant, fresh key.
      const reissueAuthorization = hawkHeader(oz, '/v1/ticket/reissue', ticketCredentials(ticket), undefined);
      const reissued = await post(oz, '/v1/ticket/reissue', null, undefined, { authorization: reissueAuthorization });
      expect(reissued.status, reissued.text).toBe(200);
      const next = reissued.body;
      expect(next).toMatchObject({ grant: ticket.grant, user: profile, app: app.id });
      expect(next.key).not.toBe(ticket.key);
      verifyServerAuthorization('/v1/ticket/reissue', ticketCredentials(ticket), reissueAuthorization, reissued);

      // 3. A resource server asks about a request signed with the new ticket; a replay is refused.
      const url = '/v1/me';
      const { header } = hawk.client.header(`https://api.example.com${url}`, 'GET', {
        credentials: { id: next.id as string, key: next.key as string, algorithm: 'sha256' },
        app: next.app as string,
        timestamp: Math.floor(oz.clock.now() / 1000),
      });
      const request = { method: 'GET', url, host: 'api.example.com', port: 443, authorization: header };
      const checked = await post(oz, '/v1/ticket/authenticate', null, request);
      expect(checked.status, checked.text).toBe(200);
      expect(checked.body.ticket).toEqual({ ...next, key: undefined });
      expect(checked.body.artifacts).toMatchObject({ method: 'GET', resource: url, app: app.id, id: next.id });
      expectBoom(await post(oz, '/v1/ticket/authenticate', null, request), 'Invalid nonce');

      // 4. The profile is disabled through the admin API: the grant is dead for every ticket of it.
      const disabled = await oz.server.inject({
        method: 'POST',
        url: `/admin/v1/profiles/${profile}/disable`,
        headers: { authorization: `Bearer ${MASTER}` },
      });
      expect(disabled.statusCode, disabled.body).toBe(200);
      expect(JSON.parse(disabled.body)).toMatchObject({ id: profile, enabled: false });

      expectBoom(await post(oz, '/v1/ticket/reissue', ticketCredentials(next)), 'Invalid grant');
      expectBoom(await post(oz, '/v1/ticket/reissue', ticketCredentials(ticket)), 'Invalid grant');
      const { header: again } = hawk.client.header(`https://api.example.com${url}`, 'GET', {
        credentials: { id: next.id as string, key: next.key as string, algorithm: 'sha256' },
        app: next.app as string,
        timestamp: Math.floor(oz.clock.now() / 1000),
      });
      expectBoom(
        await post(oz, '/v1/ticket/authenticate', null, { ...request, authorization: again }),
        'Invalid grant',
      );
      // Disabling ended the session: no new ticket from it.
      expectBoom(await post(oz, '/v1/ticket', appCredentials(app), { session }), 'Invalid session');
    });
  });
}
