import { describe, expect, it } from 'vitest';
import type { TestTicketd } from '../helpers/ticketd.js';
import {
  breakStore,
  createTicket,
  deleteTicket,
  expectError,
  expectInternalError,
  expectInvalid,
  OVERSIZED_BODY,
  post,
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

describe('POST /v1/tickets/delete errors', () => {
  describe('400 2004 invalid data', () => {
    it.each(ticketBodyErrorCases)('$name', async ({ body, invalid }) => {
      await shared();
      expectInvalid(await post(t, '/v1/tickets/delete', body), invalid);
    });
  });

  describe('400 2003 invalid json payload', () => {
    it.each(['{"ticket":"abc"', '[]', '5', 'ticket=abc'])('%s', async (body) => {
      await shared();
      expectError(
        await post(t, '/v1/tickets/delete', body, { headers: { 'content-type': 'application/json' } }),
        400,
        2003,
      );
    });
  });

  it('a refused request deletes nothing', async () => {
    await start();
    const ticket = await createTicket(t, { uses: 2 });
    await post(t, '/v1/tickets/delete', `{"ticket":"${ticket}"`, { headers: { 'content-type': 'application/json' } });
    await post(t, '/v1/tickets/delete', { ticket: `${ticket}$` });
    expect((await useTicket(t, ticket)).json()).toEqual({ uses: 1, payload: null });
  });

  it("another tenant's ticket: nothing deleted, and it stays usable by its owner", async () => {
    await start({ multi_tenancy: true, tenants: { acme: {}, beta: {} } });
    const acme = { headers: { project: 'acme' } };
    const ticket = await createTicket(t, { uses: 2 }, acme);
    expect((await deleteTicket(t, ticket, { headers: { project: 'beta' } })).json()).toEqual({
      uses: null,
      deleted: 0,
    });
    expect((await useTicket(t, ticket, acme)).json()).toEqual({ uses: 1, payload: null });
  });

  it('413 2005 for a body over 1 MiB', async () => {
    await shared();
    expectError(await post(t, '/v1/tickets/delete', OVERSIZED_BODY), 413, 2005);
  });

  it('500 2001 when the store fails', async () => {
    await start();
    const ticket = await createTicket(t);
    const cause = breakStore(t, 'delete');
    expectInternalError(t, await deleteTicket(t, ticket), cause);
  });
});
