import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import hawk from 'hawk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnTicketd, type TicketdProcess } from '../helpers/process.js';

/**
 * docs/security.md: logs never contain a ticket, key, password,
 * payload or Authorization value. One ticketd process, its log at level
 * trace, goes through every surface — tickets, profiles and login tickets,
 * persistent logins, access tokens, the admin API, the whole Oz flow with
 * Hawk — and through their error paths (wrong passwords, bad MACs, replays,
 * malformed bodies that carry secrets). Every secret the run used or was
 * given is collected; then the log is searched for each.
 */
const dir = mkdtempSync(join(tmpdir(), 'ticketd-secrets-'));
const MASTER = `master-${randomBytes(16).toString('hex')}`;
const IRON = `iron-${randomBytes(24).toString('hex')}`;

describe('a full run leaves no secret in the log', () => {
  let ticketd: TicketdProcess;
  const secrets = new Map<string, string>();
  const keep = (what: string, value: unknown) => {
    if (typeof value !== 'string' || value.length < 8) throw new Error(`no secret for ${what}: ${String(value)}`);
    secrets.set(value, what);
    return value;
  };
  keep('master token', MASTER);
  keep('Iron password', IRON);

  async function call(
    method: string,
    path: string,
    init: { json?: unknown; form?: Record<string, string>; headers?: Record<string, string>; raw?: string } = {},
  ) {
    const headers: Record<string, string> = { ...init.headers };
    let body: string | undefined;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    } else if (init.raw !== undefined) {
      headers['content-type'] = 'application/json';
      body = init.raw;
    }
    if (headers.authorization) keep(`Authorization of ${method} ${path}`, headers.authorization);
    const res = await fetch(`${ticketd.url}${path}`, { method, headers, body });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON
    }
    return { status: res.status, json, text };
  }

  /** A Hawk-signed POST from hawk's own client; the header and its MAC are secrets. */
  function signed(
    path: string,
    credentials: { id: string; key: string; algorithm: string; app?: string },
    payload: unknown,
  ) {
    const body = JSON.stringify(payload);
    const { header } = hawk.client.header(`${ticketd.url}${path}`, 'POST', {
      credentials: { id: credentials.id, key: credentials.key, algorithm: credentials.algorithm },
      ...(credentials.app ? { app: credentials.app } : {}),
      payload: body,
      contentType: 'application/json',
    });
    keep(`Hawk MAC of ${path}`, /mac="([^"]+)"/.exec(header)?.[1]);
    return { header, body };
  }

  beforeAll(async () => {
    ticketd = await spawnTicketd({
      store: `sqlite:${join(dir, 'ticketd.db')}`,
      env: { TICKETD_LOG_LEVEL: 'trace', TICKETD_MASTER_TOKEN: MASTER, TICKETD_OZ_IRON_PASSWORD: IRON },
    });
  }, 60_000);

  afterAll(async () => {
    await ticketd?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('through every surface and its errors', async () => {
    const bearer = { authorization: `Bearer ${MASTER}` };
    // Opaque tickets: create, peek, use, delete; malformed bodies with secrets in them.
    const marker = keep('payload', `payload-${randomBytes(8).toString('hex')}`);
    const created = await call('POST', '/v1/tickets', { json: { uses: 3, payload: { marker } } });
    const ticket = keep('ticket', created.json.ticket);
    expect((await call('POST', '/v1/tickets/peek', { json: { ticket } })).status).toBe(200);
    expect((await call('POST', '/v1/tickets/use', { json: { ticket } })).json.payload).toEqual({ marker });
    expect((await call('POST', '/v1/tickets/use', { raw: `{"ticket":"${ticket}",` })).status).toBe(400);
    expect((await call('POST', '/v1/tickets', { raw: `{"payload":"${marker}-broken"` })).status).toBe(400);
    keep('payload of a malformed body', `${marker}-broken`);
    expect((await call('POST', '/v1/tickets/delete', { json: { ticket } })).status).toBe(200);
    expect((await call('POST', '/v1/tickets/use', { json: { ticket } })).status).toBe(404);

    // Access tokens and profiles: create, log in (right and wrong password), sessions, persistent logins.
    const token = await call('POST', `/api/1/access_token/create?accessTokenId=${MASTER}`, {
      json: { application: 'secrets-test', tenantPermissions: [{ tenant: 'default', allowedActions: ['*'] }] },
    });
    const accessToken = keep('access token', token.json.id);
    const password = keep('password', `pw-${randomBytes(12).toString('hex')}`);
    const wrongPassword = keep('wrong password', `wrong-${randomBytes(12).toString('hex')}`);
    const profile = await call('POST', '/api/1/profile/create', {
      form: {
        accessTokenId: accessToken,
        tenantName: 'default',
        username: 'alice',
        password,
        email: 'alice@example.com',
        attributes: JSON.stringify({ dbs: 'x' }),
      },
    });
    expect(profile.status, profile.text).toBe(200);
    const login = { accessTokenId: accessToken, tenantName: 'default', username: 'alice' };
    expect(
      (await call('POST', '/api/1/authentication/authenticate', { form: { ...login, password: wrongPassword } }))
        .status,
    ).toBe(401);
    const session = await call('POST', '/api/1/authentication/authenticate', { form: { ...login, password } });
    const sessionId = keep('session (login ticket id)', session.json.id);
    expect((await call('GET', `/api/1/authentication/ticket/${sessionId}?accessTokenId=${accessToken}`)).status).toBe(
      200,
    );
    expect(
      (await call('GET', `/api/1/profile/by_ticket?accessTokenId=${accessToken}&ticketId=${sessionId}`)).status,
    ).toBe(200);
    const persistent = await call('POST', '/api/1/authentication/persistent_login/create', {
      form: { accessTokenId: accessToken, profileId: profile.json.id as string },
    });
    keep('persistent login id', persistent.json.id);
    keep('persistent login token', persistent.json.token);
    const newPassword = keep('new password', `new-${randomBytes(12).toString('hex')}`);
    const changed = await call('POST', `/api/1/profile/${profile.json.id}/change_password`, {
      form: { accessTokenId: accessToken, newPassword },
    });
    expect(changed.status, changed.text).toBe(200);
    const again = await call('POST', '/api/1/authentication/authenticate', {
      form: { ...login, password: newPassword },
    });
    const session2 = keep('second session', again.json.id);

    // Admin API: an app (its key answered once), a key rotation, a token; a wrong bearer.
    const app = await call('POST', '/admin/v1/apps', {
      json: { id: 'com.example.secrets', scope: ['mylet'], extAttributes: ['dbs'] },
      headers: bearer,
    });
    expect(app.status, app.text).toBe(201);
    const rotated = await call('POST', '/admin/v1/apps/com.example.secrets/key', { headers: bearer });
    expect(rotated.status, rotated.text).toBe(200);
    keep('first app key', app.json.key);
    const appCredentials = { id: 'com.example.secrets', key: keep('app key', rotated.json.key), algorithm: 'sha256' };
    expect(
      (await call('GET', '/admin/v1/tenants', { headers: { authorization: `Bearer ${wrongPassword}` } })).status,
    ).toBe(401);

    // Oz: app ticket, rsvp, user ticket, reissue, authenticate; a bad MAC and a replay.
    const appTicket = signed('/oz/app', appCredentials, {});
    const appT = await call('POST', '/oz/app', { raw: appTicket.body, headers: { authorization: appTicket.header } });
    expect(appT.status, appT.text).toBe(200);
    keep('app ticket id', appT.json.id);
    keep('app ticket key', appT.json.key);
    const rsvp = await call('POST', '/v1/rsvp', { json: { session: session2, app: appCredentials.id } });
    expect(rsvp.status, rsvp.text).toBe(200);
    keep('rsvp', rsvp.json.rsvp);
    const exchange = signed('/v1/ticket', appCredentials, { session: session2 });
    const user = await call('POST', '/v1/ticket', { raw: exchange.body, headers: { authorization: exchange.header } });
    expect(user.status, user.text).toBe(200);
    const userCredentials = {
      id: keep('user ticket id', user.json.id),
      key: keep('user ticket key', user.json.key),
      algorithm: 'sha256',
      app: appCredentials.id,
    };
    const replayed = await call('POST', '/v1/ticket', {
      raw: exchange.body,
      headers: { authorization: exchange.header },
    });
    expect(replayed.json.message).toBe('Invalid nonce');
    const badMac = signed('/v1/ticket', { ...appCredentials, key: wrongPassword }, { session: session2 });
    expect(
      (await call('POST', '/v1/ticket', { raw: badMac.body, headers: { authorization: badMac.header } })).json.message,
    ).toBe('Bad mac');
    const reissue = signed('/v1/ticket/reissue', userCredentials, {});
    const reissued = await call('POST', '/v1/ticket/reissue', {
      raw: reissue.body,
      headers: { authorization: reissue.header },
    });
    expect(reissued.status, reissued.text).toBe(200);
    keep('reissued ticket id', reissued.json.id);
    keep('reissued ticket key', reissued.json.key);
    // A resource server relays a request signed with the user ticket.
    const resource = 'https://api.example.com/v1/me';
    const { header: received } = hawk.client.header(resource, 'GET', {
      credentials: userCredentials,
      app: appCredentials.id,
    });
    keep('Authorization a resource server received', received);
    const relayed = await call('POST', '/v1/ticket/authenticate', {
      json: { method: 'GET', url: '/v1/me', host: 'api.example.com', port: 443, authorization: received },
    });
    expect(relayed.status, relayed.text).toBe(200);

    // Logging out ends the session, and the grant with it.
    expect(
      (
        await call('POST', `/api/1/authentication/ticket/${session2}/invalidate`, {
          form: { accessTokenId: accessToken },
        })
      ).status,
    ).toBe(200);
    expect((await call('GET', '/metrics')).status).toBe(200);
  });

  it('the log holds request lines, and none of the secrets', async () => {
    expect(await ticketd.stop('SIGTERM')).toBe(0);
    const log = ticketd.output();
    expect(log.match(/"msg":"request"/g)?.length ?? 0).toBeGreaterThanOrEqual(29);
    expect(secrets.size).toBeGreaterThan(25);
    const found = [...secrets].filter(([secret]) => log.includes(secret)).map(([, what]) => what);
    expect(found, 'secrets found in the log').toEqual([]);
  });
});
