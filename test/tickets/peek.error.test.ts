import { describe, it } from 'vitest';
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
  peekTicket,
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

describe('POST /v1/tickets/peek errors', () => {
  describe('404 102011 as for use', () => {
    it('unknown', async () => {
      await shared();
      expectTicketNotFound(await peekTicket(t, UNKNOWN_TICKET));
    });

    it('expired', async () => {
      await start();
      const ticket = await createTicket(t, { ttl: 2 });
      t.clock.advance(2000);
      expectTicketNotFound(await peekTicket(t, ticket));
    });

    it('used up', async () => {
      await start();
      const ticket = await createTicket(t);
      await useTicket(t, ticket);
      expectTicketNotFound(await peekTicket(t, ticket));
    });

    it('deleted', async () => {
      await start();
      const ticket = await createTicket(t);
      await deleteTicket(t, ticket);
      expectTicketNotFound(await peekTicket(t, ticket));
    });

    it("another tenant's", async () => {
      await start({ multi_tenancy: true, tenants: { acme: {}, beta: {} } });
      const ticket = await createTicket(t, {}, { headers: { project: 'acme' } });
      expectTicketNotFound(await peekTicket(t, ticket, { headers: { project: 'beta' } }));
    });
  });

  describe('400 2004 invalid data', () => {
    it.each(ticketBodyErrorCases)('$name', async ({ body, invalid }) => {
      await shared();
      expectInvalid(await post(t, '/v1/tickets/peek', body), invalid);
    });
  });

  it('400 2003 for a body that is not a JSON object', async () => {
    await shared();
    for (const body of ['{', '[]', '5', 'null x']) {
      expectError(
        await post(t, '/v1/tickets/peek', body, { headers: { 'content-type': 'application/json' } }),
        400,
        2003,
      );
    }
  });

  it('413 2005 for a body over 1 MiB', async () => {
    await shared();
    expectError(await post(t, '/v1/tickets/peek', OVERSIZED_BODY), 413, 2005);
  });

  it('500 2001 when the store fails', async () => {
    await start();
    const ticket = await createTicket(t);
    const cause = breakStore(t, 'peek');
    expectInternalError(t, await peekTicket(t, ticket), cause);
  });
});
