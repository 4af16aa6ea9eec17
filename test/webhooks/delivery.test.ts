/**
 * Webhook delivery (src/webhooks/delivery.ts) from the outbox to a real
 * receiver on loopback, verified with the Standard Webhooks reference
 * library: signed deliveries, retries on failure and timeouts, a failed
 * delivery after a day, one tenant's events to its own endpoints only.
 * Rounds are run by the test (`deliverer.runOnce()`), on the test clock.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/core/access-tokens.js';
import { outboxEvent } from '../../src/webhooks/catalog.js';
import { admin, createProfile, ok } from '../admin/support.js';
import { startTestTicketd, type TestTicketd } from '../helpers/ticketd.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver on loopback: records every request, answers `status` (or never, when null). */
class Receiver {
  readonly received: Received[] = [];
  status: number | null = 204;
  private readonly server: Server;
  private readonly stalled = new Set<() => void>();

  constructor() {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => {
        this.received.push({ headers: req.headers, body });
        if (this.status === null) {
          this.stalled.add(() => res.destroy());
          return;
        }
        res.writeHead(this.status, { 'content-type': 'text/plain' });
        res.end('receiver says: secret-looking text');
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  async stop(): Promise<void> {
    for (const end of this.stalled) end();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

let t: TestTicketd;
let receiver: Receiver;
let url: string;

beforeAll(async () => {
  receiver = new Receiver();
  url = await receiver.start();
  t = await startTestTicketd({ config: { webhooks: { timeout_ms: 300 } } });
  // Receivers check webhook-timestamp against their own clock.
  t.clock.set(Date.now());
  ok(await admin(t, 'POST', '/tenants', { name: 'a' }), 201);
  ok(await admin(t, 'POST', '/tenants', { name: 'b' }), 201);
});
afterAll(async () => {
  await t.stop();
  await receiver.stop();
});
afterEach(() => {
  receiver.received.length = 0;
  receiver.status = 204;
});

const subscribe = async (tenant: string, events: string[]) =>
  ok(await admin(t, 'POST', '/webhooks', { url, events, tenant }), 201) as { id: string; secret: string };

const deliveries = async (id: string) =>
  ok(await admin(t, 'GET', `/webhooks/${id}/deliveries`)) as {
    eventId: string;
    status: string;
    attempts: number;
    nextAttemptAt: number | null;
    lastStatus: number | null;
    lastError: string | null;
  }[];

const raise = (tenant: string) => outboxEvent('ticket.deleted', { tenant, ticket: '0123456789abcdef' }, t.clock.now());

describe('webhook delivery', () => {
  it('a ticket created, used and deleted over HTTP: each event delivered once, with public data only', async () => {
    const ep = await subscribe('default', ['ticket.created', 'ticket.used', 'ticket.deleted']);
    const post = async (url: string, body: unknown) =>
      (await t.server.inject({ method: 'POST', url, payload: body as object })).json() as Record<string, unknown>;
    const { ticket } = await post('/v1/tickets', { uses: 3, ttl: 60, payload: { secret: 'payload-text' } });
    await post('/v1/tickets/use', { ticket });
    await post('/v1/tickets/use', { ticket: 'not-a-ticket-at-all-000000' });
    await post('/v1/tickets/delete', { ticket });
    await post('/v1/tickets/delete', { ticket });
    await t.deliverer.runOnce();
    const bodies = receiver.received.map((r) =>
      new Webhook(ep.secret).verify(r.body, r.headers as Record<string, string>),
    );
    const ref = expect.stringMatching(/^[0-9a-f]{16}$/);
    expect(bodies).toEqual([
      {
        type: 'ticket.created',
        timestamp: expect.any(String),
        data: { tenant: 'default', ticket: ref, uses: 3, expiresAt: new Date(t.clock.now() + 60_000).toISOString() },
      },
      { type: 'ticket.used', timestamp: expect.any(String), data: { tenant: 'default', ticket: ref } },
      { type: 'ticket.deleted', timestamp: expect.any(String), data: { tenant: 'default', ticket: ref } },
    ]);
    const refs = new Set(bodies.map((b) => (b as { data: { ticket: string } }).data.ticket));
    expect(refs.size).toBe(1);
    for (const r of receiver.received) {
      expect(r.body).not.toContain(String(ticket));
      expect(r.body).not.toContain('payload-text');
    }
    ok(await admin(t, 'DELETE', `/webhooks/${ep.id}`));
  });

  it("an app's key rotation and a grant's revocation on the admin API: their events delivered", async () => {
    const ep = await subscribe('a', ['app.key_rotated', 'grant.revoked']);
    ok(await admin(t, 'POST', '/apps', { id: 'com.example.hooks', tenant: 'a' }), 201);
    ok(await admin(t, 'POST', '/apps/com.example.hooks/key', {}));
    ok(await admin(t, 'POST', '/apps/com.example.nothere/key', {}), 404);
    await t.deliverer.runOnce();
    const bodies = receiver.received.map((r) =>
      new Webhook(ep.secret).verify(r.body, r.headers as Record<string, string>),
    );
    expect(bodies).toEqual([
      { type: 'app.key_rotated', timestamp: expect.any(String), data: { tenant: 'a', appId: 'com.example.hooks' } },
    ]);
    ok(await admin(t, 'DELETE', `/webhooks/${ep.id}`));
  });

  it('a logout (login ticket invalidated, persistent login deleted) raises session.ended, once each', async () => {
    const ep = await subscribe('default', ['session.ended']);
    const profile = await createProfile(t);
    const ticket = await t.identity.logins.createTicket(SYSTEM_ACTOR, profile.id);
    const login = await t.identity.logins.createPersistentLogin(SYSTEM_ACTOR, profile.id);
    await t.identity.logins.invalidateTicket(SYSTEM_ACTOR, ticket.id);
    await t.identity.logins.invalidateTicket(SYSTEM_ACTOR, ticket.id);
    await t.identity.logins.deletePersistentLogin(SYSTEM_ACTOR, login.id);
    await t.deliverer.runOnce();
    const bodies = receiver.received.map((r) =>
      new Webhook(ep.secret).verify(r.body, r.headers as Record<string, string>),
    );
    const ended = { tenant: 'default', profileId: profile.id, reason: 'logout' };
    expect(bodies).toEqual([
      { type: 'session.ended', timestamp: expect.any(String), data: ended },
      { type: 'session.ended', timestamp: expect.any(String), data: ended },
    ]);
    ok(await admin(t, 'DELETE', `/webhooks/${ep.id}`));
  });

  it('POSTs each event signed per Standard Webhooks; the reference library verifies it', async () => {
    const ep = await subscribe('a', ['ticket.deleted']);
    const event = raise('a');
    await t.store.outbox.append([event], t.clock.now());
    expect(await t.deliverer.runOnce()).toBe(1);
    expect(receiver.received).toHaveLength(1);
    const [r] = receiver.received as [Received];
    expect(r.headers['webhook-id']).toBe(event.id);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['user-agent']).toMatch(/^ticketd\//);
    const verified = new Webhook(ep.secret).verify(r.body, r.headers as Record<string, string>);
    expect(verified).toEqual({
      type: 'ticket.deleted',
      timestamp: new Date(event.createdAt).toISOString(),
      data: { tenant: 'a', ticket: '0123456789abcdef' },
    });
    expect(await deliveries(ep.id)).toEqual([
      expect.objectContaining({
        eventId: event.id,
        status: 'delivered',
        attempts: 1,
        lastStatus: 204,
        lastError: null,
      }),
    ]);
    expect(await t.deliverer.runOnce()).toBe(0);
    ok(await admin(t, 'DELETE', `/webhooks/${ep.id}`));
  });

  it('retries after a failure (1 s, then 5 s, ±20%), delivers when the receiver recovers', async () => {
    const ep = await subscribe('a', ['ticket.deleted']);
    await t.store.outbox.append([raise('a')], t.clock.now());
    receiver.status = 503;
    await t.deliverer.runOnce();
    let [d] = await deliveries(ep.id);
    expect(d).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 503, lastError: 'HTTP 503' });
    const wait = (d?.nextAttemptAt as number) - t.clock.now();
    expect(wait).toBeGreaterThanOrEqual(800);
    expect(wait).toBeLessThanOrEqual(1200);
    expect(await t.deliverer.runOnce()).toBe(0);
    t.clock.advance(1200);
    await t.deliverer.runOnce();
    [d] = await deliveries(ep.id);
    expect(d).toMatchObject({ status: 'pending', attempts: 2 });
    expect((d?.nextAttemptAt as number) - t.clock.now()).toBeGreaterThanOrEqual(4000);
    receiver.status = 200;
    t.clock.advance(6000);
    await t.deliverer.runOnce();
    [d] = await deliveries(ep.id);
    expect(d).toMatchObject({ status: 'delivered', attempts: 3, lastStatus: 200, lastError: null });
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    ok(await admin(t, 'DELETE', `/webhooks/${ep.id}`));
  });

  it('a receiver that never answers times out (timeout_ms); a day of failures marks the delivery failed', async () => {
    const ep = await subscribe('a', ['ticket.deleted']);
    await t.store.outbox.append([raise('a')], t.clock.now());
    receiver.status = null;
    const started = performance.now();
    await t.deliverer.runOnce();
    expect(performance.now() - started).toBeLessThan(2000);
    expect((await deliveries(ep.id))[0]).toMatchObject({ status: 'pending', lastStatus: null, lastError: 'timed out' });
    receiver.status = 500;
    for (let i = 0; i < 40; i++) {
      t.clock.advance(60 * 60 * 1000);
      await t.deliverer.runOnce();
      if ((await deliveries(ep.id))[0]?.status === 'failed') break;
    }
    const [d] = await deliveries(ep.id);
    expect(d).toMatchObject({ status: 'failed', lastStatus: 500, nextAttemptAt: null });
    expect(d?.attempts).toBeGreaterThanOrEqual(15);
    ok(await admin(t, 'DELETE', `/webhooks/${ep.id}`));
  });

  it('a round after busy time (requests) delivers one batch; the rest waits for the next rounds', async () => {
    const ep = await subscribe('a', ['ticket.deleted']);
    await t.store.outbox.append(
      Array.from({ length: 250 }, () => raise('a')),
      t.clock.now(),
    );
    expect(await t.deliverer.runOnce({ busy: true })).toBe(100);
    expect(await t.deliverer.runOnce()).toBe(150);
    expect(receiver.received).toHaveLength(250);
    ok(await admin(t, 'DELETE', `/webhooks/${ep.id}`));
  });

  it("an endpoint receives its tenant's events only, and those of the types it names", async () => {
    const a = await subscribe('a', ['ticket.created']);
    const b = await subscribe('b', ['ticket.deleted']);
    await t.store.outbox.append([raise('a'), raise('b'), raise('b')], t.clock.now());
    await t.deliverer.runOnce();
    expect(await deliveries(a.id)).toEqual([]);
    expect(await deliveries(b.id)).toHaveLength(2);
    expect(receiver.received.map((r) => JSON.parse(r.body).data.tenant)).toEqual(['b', 'b']);
  });
});
