import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnTicketd, type TicketdProcess } from '../../../test/helpers/process.js';
import {
  hawkHeader,
  hawkPreHandler,
  type IncomingLike,
  OzClient,
  OzError,
  type OzSession,
  ProfileClient,
  ProfileError,
  type ProfileErrorCode,
  TicketError,
  type TicketErrorCode,
  TicketsClient,
} from '../src/index.js';

/** The client against a real ticketd process (from its sources), and a resource server of its own. */
const MASTER = 'client-test-master-token-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'ticketd-client-'));

describe('@ticketd/client against ticketd', () => {
  let ticketd: TicketdProcess;
  let profiles: ProfileClient;
  let app: { id: string; key: string; algorithm: 'sha256' };
  let resource: FastifyInstance;
  let resourceUrl: string;

  beforeAll(async () => {
    ticketd = await spawnTicketd({
      store: `sqlite:${join(dir, 'ticketd.db')}`,
      env: { TICKETD_MASTER_TOKEN: MASTER },
    });
    profiles = new ProfileClient({ baseUrl: ticketd.url, accessTokenId: MASTER });
    const res = await fetch(`${ticketd.url}/admin/v1/apps`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'com.example.client', scope: ['mylet'], extAttributes: ['dbs'] }),
    });
    const created = (await res.json()) as { id: string; key: string };
    app = { id: created.id, key: created.key, algorithm: 'sha256' };

    // A resource server that lets ticketd check every request.
    resource = Fastify();
    resource.decorateRequest('ozTicket', undefined);
    resource.addHook('preHandler', hawkPreHandler({ baseUrl: ticketd.url, scope: 'mylet' }));
    resource.get('/me', async (req) => ({ user: (req as IncomingLike).ozTicket?.user }));
    resourceUrl = await resource.listen({ host: '127.0.0.1', port: 0 });
  }, 60_000);

  afterAll(async () => {
    await resource?.close();
    await ticketd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('tickets: create, peek, use, delete; refusals are TicketErrors with Authen codes', async () => {
    const tickets = new TicketsClient({ baseUrl: ticketd.url });
    const ticket = await tickets.create({ uses: 2, ttl: 60, payload: { user_id: 9001 } });
    expect(ticket).toMatch(/^[A-Za-z0-9+/]{27}$/);
    expect((await tickets.peek(ticket)).uses).toBe(2);
    expect(await tickets.use<{ user_id: number }>(ticket)).toEqual({ uses: 1, payload: { user_id: 9001 } });
    expect(await tickets.delete(ticket)).toEqual({ uses: 1, deleted: 1 });
    const gone = await tickets.use(ticket).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(TicketError);
    const code: TicketErrorCode = (gone as TicketError).code;
    expect([code, (gone as TicketError).status, (gone as TicketError).message]).toEqual([
      102011,
      404,
      'ticket not found',
    ]);
    const invalid = (await tickets.create({ uses: -1 }).catch((e: unknown) => e)) as TicketError;
    expect([invalid.code, invalid.invalid[0]?.field, invalid.invalid[0]?.code]).toEqual([2004, 'uses', 1006]);
  });

  it('profiles: create, authenticate, sessions, persistent logins; refusals are ProfileErrors with Crafter codes', async () => {
    const p = await profiles.createProfile({
      tenantName: 'default',
      username: 'alice',
      password: 'correct horse',
      email: 'alice@example.com',
      attributes: { dbs: 'x-1' },
    });
    const session = await profiles.authenticate('default', 'alice', 'correct horse');
    expect(session.profileId).toBe(p.id);
    expect((await profiles.profileByTicket(session.id)).username).toBe('alice');
    const wrong = (await profiles.authenticate('default', 'alice', 'nope').catch((e: unknown) => e)) as ProfileError;
    const code: ProfileErrorCode = wrong.code;
    expect([wrong instanceof ProfileError, code, wrong.status]).toEqual([true, 'BAD_CREDENTIALS', 401]);

    const remember = await profiles.createPersistentLogin(p.id);
    const refreshed = await profiles.refreshPersistentLogin(remember.id);
    expect(refreshed.token).not.toBe(remember.token);
    await profiles.deletePersistentLogin(remember.id);
    await profiles.invalidateTicket(session.id);
    const ended = (await profiles.getTicket(session.id).catch((e: unknown) => e)) as ProfileError;
    expect([ended.code, ended.status]).toEqual(['NO_SUCH_TICKET', 404]);
  });

  describe('Oz', () => {
    let oz: OzClient;
    let user: OzSession;
    let session: string;

    beforeAll(async () => {
      await profiles.createProfile({
        tenantName: 'default',
        username: 'bob',
        password: 'battery staple',
        email: 'bob@example.com',
        attributes: { dbs: 'db-bob' },
      });
      session = (await profiles.authenticate('default', 'bob', 'battery staple')).id;
      oz = new OzClient({ baseUrl: ticketd.url, app });
      user = await oz.userTicket(session);
    });

    it('app ticket, and a user ticket from a session with the ext the app may see', async () => {
      expect((await oz.appTicket()).app).toBe(app.id);
      expect(user.latest).toMatchObject({ app: app.id, scope: ['mylet'], ext: { dbs: 'db-bob' } });
      const refused = (await oz.userTicket('no-such-session').catch((e: unknown) => e)) as OzError;
      expect([refused instanceof OzError, refused.code, refused.status]).toEqual([true, 'Invalid session', 401]);
    });

    it('signs requests to a resource server, which checks them with ticketd', async () => {
      const res = await user.fetch(`${resourceUrl}/me`);
      expect([res.status, await res.json()]).toEqual([200, { user: user.latest.user }]);
      const unsigned = await fetch(`${resourceUrl}/me`);
      expect(unsigned.status).toBe(401);
      expect(unsigned.headers.get('www-authenticate')).toBe('Hawk error="Missing authentication"');
      // The same signed request twice: the resource server relays ticketd's refusal.
      const authorization = await user.header(`${resourceUrl}/me`, 'GET');
      expect((await fetch(`${resourceUrl}/me`, { headers: { authorization } })).status).toBe(200);
      const replay = await fetch(`${resourceUrl}/me`, { headers: { authorization } });
      expect([replay.status, ((await replay.json()) as { message: string }).message]).toEqual([401, 'Invalid nonce']);
    });

    it('reissues the ticket before it expires: one reissue for many callers, on the same grant', async () => {
      const before = user.latest;
      const eager = new OzClient({ baseUrl: ticketd.url, app, reissueMarginMs: 10 * 3600_000 });
      const fresh = await eager.userTicket(session);
      const first = fresh.latest;
      const [a, b, c] = await Promise.all([fresh.current(), fresh.current(), fresh.current()]);
      expect(a.id).not.toBe(first.id);
      expect(new Set([a.id, b.id, c.id]).size).toBe(1);
      expect([a.grant, a.user]).toEqual([first.grant, first.user]);
      expect(before.grant).toBe(first.grant); // one grant per app, person and session
    });

    it('reissues and retries once when a resource server answers Expired ticket', async () => {
      const flaky = Fastify();
      let calls = 0;
      flaky.get('/data', async (req, reply) => {
        calls += 1;
        if (calls === 1) {
          return reply
            .code(401)
            .send({ statusCode: 401, error: 'Unauthorized', message: 'Expired ticket', expired: true });
        }
        return { auth: String(req.headers.authorization).slice(0, 5) };
      });
      const url = await flaky.listen({ host: '127.0.0.1', port: 0 });
      try {
        const before = user.latest.id;
        const res = await user.fetch(`${url}/data`);
        expect([res.status, await res.json(), calls]).toEqual([200, { auth: 'Hawk ' }, 2]);
        expect(user.latest.id).not.toBe(before);
      } finally {
        await flaky.close();
      }
    });

    it('hawkHeader signs as hawk does: ticketd accepts it on its own routes', async () => {
      const url = `${ticketd.url}/oz/app`;
      const authorization = hawkHeader(url, 'POST', app, { payload: '{}' });
      const res = await fetch(url, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(res.status).toBe(200);
    });
  });
});
