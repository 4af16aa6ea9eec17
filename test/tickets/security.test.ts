import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/store/sqlite/driver.js';
import { startTestTicketd, type TestTicketd } from '../helpers/ticketd.js';
import {
  breakStore,
  createTicket,
  deleteTicket,
  expectTicketNotFound,
  peekTicket,
  post,
  UNKNOWN_TICKET,
  useTicket,
} from './client.js';
import { describeTenantChecks, TENANTS_CONFIG, ticketRoutes } from './security.js';

let t: TestTicketd;
afterEach(async () => {
  await t?.stop();
});

for (const route of ticketRoutes) {
  describe(`${route.name} (POST ${route.url}): tenant checks`, () => describeTenantChecks(route));
}

describe('tenant isolation', () => {
  const acme = { headers: { project: 'acme' } };
  const beta = { headers: { project: 'beta' } };

  it('no operation in one tenant reads, uses or deletes a ticket of another', async () => {
    t = await startTestTicketd({ config: TENANTS_CONFIG });
    const a = await createTicket(t, { uses: 2, payload: 'of acme' }, acme);
    const b = await createTicket(t, { uses: 2, payload: 'of beta' }, beta);
    for (const [ticket, other] of [
      [a, beta],
      [b, acme],
    ] as const) {
      expectTicketNotFound(await useTicket(t, ticket, other));
      expectTicketNotFound(await peekTicket(t, ticket, other));
      expect((await deleteTicket(t, ticket, other)).json()).toEqual({ uses: null, deleted: 0 });
      expectTicketNotFound(await useTicket(t, ticket, { headers: { project: 'default' } }));
    }
    expect((await useTicket(t, a, acme)).json()).toEqual({ uses: 1, payload: 'of acme' });
    expect((await useTicket(t, b, beta)).json()).toEqual({ uses: 1, payload: 'of beta' });
    expect(await t.store.tickets.count('acme')).toBe(1);
    expect(await t.store.tickets.count('beta')).toBe(1);
  });

  it('the answers for a foreign ticket and an unknown one are the same bytes', async () => {
    t = await startTestTicketd({ config: TENANTS_CONFIG });
    const a = await createTicket(t, {}, acme);
    for (const url of ['/v1/tickets/use', '/v1/tickets/peek', '/v1/tickets/delete']) {
      const foreign = await post(t, url, { ticket: a }, beta);
      const unknown = await post(t, url, { ticket: UNKNOWN_TICKET }, beta);
      expect([foreign.statusCode, foreign.body]).toEqual([unknown.statusCode, unknown.body]);
    }
  });

  it('single-tenant mode ignores the Project header: every ticket is in tenant default', async () => {
    t = await startTestTicketd();
    const ticket = await createTicket(t, { uses: 3 }, { headers: { project: 'acme' } });
    expect((await useTicket(t, ticket, { headers: { project: 'other' } })).json()).toEqual({ uses: 2, payload: null });
    expect((await useTicket(t, ticket)).json()).toEqual({ uses: 1, payload: null });
    expect(await t.store.tickets.count('default')).toBe(1);
  });
});

describe('at rest: the SQLite file holds no ticket and no payload', () => {
  it('neither a ticket nor any payload text appears in the database files; ids are SHA-256 of the tickets', async () => {
    t = await startTestTicketd();
    const payloads = [
      '{"user_id":9001,"secret":"payload-marker-object-7f3a"}',
      '"payload-marker-string-91bc"',
      '["payload-marker-array-c4d2",12345678901234567890]',
      '{"note":"payload marker with spaces and é 漢字"}',
      '9999999999999999999999999777',
    ];
    const tickets: string[] = [];
    for (const p of payloads) tickets.push(await createTicket(t, `{"uses":5,"ttl":0,"payload":${p}}`));
    for (let i = 0; i < 20; i++) tickets.push(await createTicket(t, { uses: 3 }));
    // Some state changes too: a use, a delete.
    await useTicket(t, tickets[0] as string);
    await deleteTicket(t, tickets[1] as string);

    const dbPath = t.config.store.slice('sqlite:'.length);
    const files = [dbPath, `${dbPath}-wal`, `${dbPath}-shm`].filter((f) => existsSync(f));
    expect(files).toContain(dbPath);
    const bytes = Buffer.concat(files.map((f) => readFileSync(f)));
    expect(bytes.length).toBeGreaterThan(0);

    const needles: [string, Buffer][] = [];
    for (const ticket of tickets) {
      needles.push([`ticket ${ticket}`, Buffer.from(ticket)]);
      needles.push([`raw bytes of ${ticket}`, Buffer.from(ticket, 'base64')]);
    }
    for (const p of payloads) {
      needles.push([`payload ${p}`, Buffer.from(p)]);
      for (const word of p.match(/[\w-]{8,}|é 漢字/gu) ?? []) needles.push([`payload word ${word}`, Buffer.from(word)]);
    }
    for (const [name, needle] of needles) expect(bytes.includes(needle), name).toBe(false);

    // What is stored: SHA-256 of the ticket, and a sealed payload of plaintext length + 16 (GCM tag).
    const db = openSqlite(dbPath, { readonly: true });
    try {
      const rows = db.prepare('SELECT id, payload FROM tickets').all() as { id: Buffer; payload: Buffer | null }[];
      const byId = new Map(rows.map((r) => [r.id.toString('hex'), r.payload]));
      const live = tickets.filter((_, i) => i !== 1);
      expect(rows).toHaveLength(live.length);
      for (const [i, ticket] of tickets.entries()) {
        const id = createHash('sha256').update(ticket).digest('hex');
        if (i === 1) {
          expect(byId.has(id)).toBe(false);
          continue;
        }
        expect(byId.has(id), `row for ticket #${i}`).toBe(true);
        const sealed = byId.get(id);
        const plain = payloads[i];
        if (plain === undefined) expect(sealed).toBeNull();
        else {
          expect(sealed).toBeInstanceOf(Buffer);
          expect(sealed?.length).toBe(Buffer.byteLength(plain) + 16);
          expect(sealed?.includes(Buffer.from(plain))).toBe(false);
        }
      }
    } finally {
      db.close();
    }

    // And the sealed payloads still open with the ticket.
    expect((await useTicket(t, tickets[2] as string)).body).toBe(`{"uses":4,"payload":${payloads[2]}}`);
  });
});

describe('logs', () => {
  it('a run with tickets, payloads and an Authorization header never logs any of them', async () => {
    t = await startTestTicketd({ config: TENANTS_CONFIG });
    const authorization = 'Bearer authz-secret-5f1e9c0d7b2a';
    const headers = { project: 'acme', authorization };
    const secrets: string[] = [authorization, 'authz-secret-5f1e9c0d7b2a'];
    const tickets: string[] = [];

    for (let i = 0; i < 5; i++) {
      const payloadSecret = `payload-secret-${i}-a8c41e`;
      secrets.push(payloadSecret);
      tickets.push(await createTicket(t, { uses: 3, payload: { s: payloadSecret } }, { headers }));
    }
    for (const ticket of tickets) {
      await useTicket(t, ticket, { headers });
      await peekTicket(t, ticket, { headers });
    }
    await deleteTicket(t, tickets[0] as string, { headers });
    // Refused requests that carry secrets: wrong tenant, bad JSON, bad fields, unknown route, too large.
    await useTicket(t, tickets[1] as string, { headers: { project: 'beta', authorization } });
    await useTicket(t, tickets[1] as string, { headers: { project: 'nope', authorization } });
    await useTicket(t, tickets[1] as string, { headers: { authorization } });
    await post(t, '/v1/tickets', '{"payload":{"s":"payload-secret-badjson-3d2f"', {
      headers: { ...headers, 'content-type': 'application/json' },
    });
    secrets.push('payload-secret-badjson-3d2f');
    await post(t, '/v1/tickets/use', { ticket: `${tickets[2]}$` }, { headers });
    await post(t, '/v1/tickets', { ttl: 'payload-secret-field-6b1a' }, { headers });
    secrets.push('payload-secret-field-6b1a');
    await post(t, `/v1/tickets/${encodeURIComponent(tickets[2] as string)}`, { ticket: tickets[2] }, { headers });
    await post(t, '/v1/tickets', `{"payload":"payload-secret-huge-${'x'.repeat(1024 * 1024)}"}`, { headers });
    secrets.push('payload-secret-huge');
    // An internal error while a ticket is in hand.
    breakStore(t, 'use');
    expect((await useTicket(t, tickets[3] as string, { headers })).statusCode).toBe(500);

    const logs = t.logs();
    // The log is not empty: one line per request, with its request id.
    const lines = logs.trim().split('\n');
    expect(lines.filter((l) => l.includes('"msg":"request"')).length).toBeGreaterThanOrEqual(25);
    expect(logs).toContain('"msg":"internal error"');
    for (const ticket of tickets) {
      expect(logs.includes(ticket), `ticket ${ticket} in the log`).toBe(false);
      expect(logs.includes(encodeURIComponent(ticket)), `URL-encoded ticket ${ticket} in the log`).toBe(false);
      expect(logs.includes(JSON.stringify(ticket).slice(1, -1)), `escaped ticket ${ticket} in the log`).toBe(false);
    }
    for (const secret of secrets) expect(logs.includes(secret), `${secret} in the log`).toBe(false);
    expect(logs.toLowerCase()).not.toContain('authorization');
  });
});
