import { describe, expect, it } from 'vitest';
import type { TestTicketd } from '../helpers/ticketd.js';
import {
  breakStore,
  createTicket,
  deleteTicket,
  expectError,
  expectInternalError,
  expectInvalid,
  expectTicketNotFound,
  OVERSIZED_BODY,
  post,
  UNKNOWN_TICKET,
  useTicket,
} from './client.js';
import { ticketdInstances } from './instances.js';
import { ticketBodyErrorCases } from './ticket-body-cases.js';

let t: TestTicketd;
const instances = ticketdInstances();
const start = async (config?: Record<string, unknown>) => {
  t = await instances.start(config);
};
const shared = async () => {
  t = await instances.shared();
};

describe('POST /v1/tickets/use errors', () => {
  describe('404 102011 ticket not found, one answer for every reason', () => {
    it('an unknown ticket', async () => {
      await shared();
      const res = await useTicket(t, UNKNOWN_TICKET);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ code: 102011, error: 'ticket not found' });
    });

    it('an expired ticket', async () => {
      await start();
      const ticket = await createTicket(t, { ttl: 30, uses: 5 });
      t.clock.advance(30_000);
      expectTicketNotFound(await useTicket(t, ticket));
    });

    it('a used-up ticket', async () => {
      await start();
      const ticket = await createTicket(t, { uses: 2 });
      await useTicket(t, ticket);
      await useTicket(t, ticket);
      expectTicketNotFound(await useTicket(t, ticket));
    });

    it('a deleted ticket', async () => {
      await start();
      const ticket = await createTicket(t, { uses: 5 });
      await deleteTicket(t, ticket);
      expectTicketNotFound(await useTicket(t, ticket));
    });

    it("another tenant's ticket", async () => {
      await start({ multi_tenancy: true, tenants: { acme: {}, beta: {} } });
      const ticket = await createTicket(t, { uses: 5 }, { headers: { project: 'acme' } });
      expectTicketNotFound(await useTicket(t, ticket, { headers: { project: 'beta' } }));
      expect((await useTicket(t, ticket, { headers: { project: 'acme' } })).json()).toEqual({ uses: 4, payload: null });
    });

    it('a ticket that differs in one character, or has padding added', async () => {
      await start();
      const ticket = await createTicket(t, { uses: 5 });
      const other = (ticket[0] === 'A' ? 'B' : 'A') + ticket.slice(1);
      expectTicketNotFound(await useTicket(t, other));
      expectTicketNotFound(await useTicket(t, `${ticket}=`));
      expectTicketNotFound(await useTicket(t, ticket.slice(0, 26)));
    });

    it('is the same answer, byte for byte, whatever the reason', async () => {
      await start();
      const expired = await createTicket(t, { ttl: 1 });
      const usedUp = await createTicket(t);
      const deleted = await createTicket(t);
      await useTicket(t, usedUp);
      await deleteTicket(t, deleted);
      t.clock.advance(1000);
      const bodies = new Set<string>();
      for (const ticket of [UNKNOWN_TICKET, expired, usedUp, deleted]) bodies.add((await useTicket(t, ticket)).body);
      expect([...bodies]).toEqual(['{"code":102011,"error":"ticket not found"}']);
    });
  });

  describe('400 2004 invalid data', () => {
    it.each(ticketBodyErrorCases)('$name', async ({ body, invalid }) => {
      await shared();
      expectInvalid(await post(t, '/v1/tickets/use', body), invalid);
    });

    it('an empty body: ticket is required', async () => {
      await shared();
      expectInvalid(await post(t, '/v1/tickets/use', '', { headers: { 'content-type': 'application/json' } }), [
        { field: 'ticket', code: 1001, error: 'required', data: null },
      ]);
    });
  });

  describe('400 2003 invalid json payload', () => {
    it.each(['{"ticket":', '[]', '["abc"]', '5', '"UrX/fTU0TaEEBv1ZlhpImz1c1Ts"'])('%s', async (body) => {
      await shared();
      expectError(
        await post(t, '/v1/tickets/use', body, { headers: { 'content-type': 'application/json' } }),
        400,
        2003,
      );
    });
  });

  it('413 2005 for a body over 1 MiB', async () => {
    await shared();
    expectError(await post(t, '/v1/tickets/use', OVERSIZED_BODY), 413, 2005);
  });

  it('500 2001 when the store fails', async () => {
    await start();
    const ticket = await createTicket(t);
    const cause = breakStore(t, 'use');
    expectInternalError(t, await useTicket(t, ticket), cause);
  });
});
