/**
 * Webhook endpoints on the admin API (docs/admin.md, docs/events.md): the
 * secret is answered by create and rotation only, and stored sealed; an
 * endpoint belongs to one tenant and goes with it.
 */
import type { Static } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookEndpoint } from '../../src/admin/webhooks.js';
import { admin, expectAdminError, ok, startTestTicketd, type TestTicketd } from './support.js';

let t: TestTicketd;
beforeAll(async () => {
  t = await startTestTicketd();
  ok(await admin(t, 'POST', '/tenants', { name: 'shop' }), 201);
});
afterAll(() => t.stop());

/** What the admin API answers for an endpoint: its schema, the secret there only on create and rotation. */
type EndpointJson = Static<typeof WebhookEndpoint> & { secret?: string };

const create = async (body: Record<string, unknown>) =>
  ok(await admin(t, 'POST', '/webhooks', body), 201) as EndpointJson;

describe('webhook endpoints', () => {
  it('create answers the endpoint with its whsec_ secret once; get and list never show it', async () => {
    const e = await create({ url: 'https://hooks.example.com/a', events: ['ticket.created'], tenant: 'shop' });
    expect(e).toEqual({
      id: expect.stringMatching(/^ep_[A-Za-z0-9_-]+$/),
      tenant: 'shop',
      url: 'https://hooks.example.com/a',
      events: ['ticket.created'],
      description: '',
      enabled: true,
      previousSecretUntil: null,
      createdOn: expect.any(Number),
      updatedOn: expect.any(Number),
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
    const { secret, ...shown } = e;
    expect(ok(await admin(t, 'GET', `/webhooks/${e.id}`))).toEqual(shown);
    const listed = ok(await admin(t, 'GET', '/webhooks', undefined, { query: { tenant: 'shop' } })) as EndpointJson[];
    expect(listed.map((x) => x.id)).toContain(e.id);
    expect(JSON.stringify(listed)).not.toContain('secret');
    // The store holds it sealed: no form of the secret is in the record.
    const stored = JSON.stringify(await t.store.webhooks.get(e.id));
    const raw = Buffer.from((secret as string).slice(6), 'base64');
    for (const form of [secret as string, raw.toString('base64'), raw.toString('hex'), raw.toString('base64url')]) {
      expect(stored).not.toContain(form);
    }
  });

  it('the default tenant unless told; an unknown tenant is 404, unknown events and non-http URLs 400', async () => {
    expect((await create({ url: 'http://127.0.0.1:9/x', events: ['*'] })).tenant).toBe('default');
    expectAdminError(
      await admin(t, 'POST', '/webhooks', { url: 'https://h.example', events: ['*'], tenant: 'nope' }),
      404,
      103003,
    );
    expectAdminError(
      await admin(t, 'POST', '/webhooks', { url: 'https://h.example', events: ['ticket.eaten'] }),
      400,
      103010,
    );
    expectAdminError(await admin(t, 'POST', '/webhooks', { url: 'ftp://h.example', events: ['*'] }), 400, 103010);
    expectAdminError(await admin(t, 'POST', '/webhooks', { url: 'https://u:p@h.example', events: ['*'] }), 400, 103010);
    expectAdminError(await admin(t, 'POST', '/webhooks', { url: 'https://h.example', events: [] }), 400, 2004);
  });

  it('update changes what it is told; rotation answers a new secret and keeps the old one signing for a while', async () => {
    const e = await create({ url: 'https://hooks.example.com/b', events: ['ticket.used'], tenant: 'shop' });
    const updated = ok(
      await admin(t, 'PATCH', `/webhooks/${e.id}`, { events: ['ticket.used', 'ticket.deleted'], enabled: false }),
    ) as EndpointJson;
    expect(updated).toMatchObject({ url: e.url, events: ['ticket.used', 'ticket.deleted'], enabled: false });

    const rotated = ok(await admin(t, 'POST', `/webhooks/${e.id}/secret`, {})) as EndpointJson;
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(e.secret);
    expect(rotated.previousSecretUntil).toBe(t.clock.now() + 24 * 60 * 60 * 1000);
    const now = ok(await admin(t, 'POST', `/webhooks/${e.id}/secret`, { previousSecretForMs: 0 })) as EndpointJson;
    expect(now.previousSecretUntil).toBeNull();
    expectAdminError(await admin(t, 'POST', '/webhooks/ep_none/secret', {}), 404, 103015);
    expectAdminError(await admin(t, 'PATCH', '/webhooks/ep_none', { enabled: true }), 404, 103015);
  });

  it('delete answers it as it was, then 404; a deleted tenant takes its endpoints', async () => {
    const e = await create({ url: 'https://hooks.example.com/c', events: ['*'], tenant: 'shop' });
    const { secret: _, ...shown } = e;
    expect(ok(await admin(t, 'DELETE', `/webhooks/${e.id}`))).toEqual(shown);
    expectAdminError(await admin(t, 'GET', `/webhooks/${e.id}`), 404, 103015);

    ok(await admin(t, 'POST', '/tenants', { name: 'gone' }), 201);
    const g = await create({ url: 'https://hooks.example.com/d', events: ['*'], tenant: 'gone' });
    ok(await admin(t, 'DELETE', '/tenants/gone'));
    expectAdminError(await admin(t, 'GET', `/webhooks/${g.id}`), 404, 103015);
  });

  it('needs the master token', async () => {
    expectAdminError(await admin(t, 'GET', '/webhooks', undefined, { token: null }), 401, 103001);
  });
});
