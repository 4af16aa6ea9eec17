import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestTicketd, type TestTicketd } from '../helpers/ticketd.js';
import { createTicket, peekTicket, useTicket } from './client.js';

let t: TestTicketd;
beforeEach(async () => {
  t = await startTestTicketd();
});
afterEach(async () => {
  await t.stop();
});

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('POST /v1/tickets/peek', () => {
  it('answers {"uses", "expires", "created"} with ISO times and no payload', async () => {
    const ticket = await createTicket(t, { uses: 2, ttl: 50, payload: { user_id: 9001 } });
    const res = await peekTicket(t, ticket);
    expect(res.statusCode).toBe(200);
    const body = res.json() as Record<string, unknown>;
    expect(body).toEqual({ uses: 2, expires: '2026-01-01T00:00:50.000Z', created: '2026-01-01T00:00:00.000Z' });
    expect(body.expires).toMatch(ISO);
    expect(body.created).toMatch(ISO);
    expect(res.body).not.toContain('payload');
    expect(res.body).not.toContain('9001');
  });

  it('takes no use', async () => {
    const ticket = await createTicket(t, { uses: 1 });
    for (let i = 0; i < 5; i++) expect((await peekTicket(t, ticket)).json()).toMatchObject({ uses: 1 });
    expect((await useTicket(t, ticket)).json()).toEqual({ uses: 0, payload: null });
  });

  it('follows the uses taken', async () => {
    const ticket = await createTicket(t, { uses: 3 });
    await useTicket(t, ticket);
    expect((await peekTicket(t, ticket)).json()).toMatchObject({ uses: 2 });
  });

  it('unlimited and never-expiring: uses and expires are null', async () => {
    const ticket = await createTicket(t, { uses: 0, ttl: 0 });
    expect((await peekTicket(t, ticket)).json()).toEqual({
      uses: null,
      expires: null,
      created: '2026-01-01T00:00:00.000Z',
    });
  });

  it('created is the creation time, not the time of the peek', async () => {
    t.clock.advance(1234);
    const ticket = await createTicket(t, { ttl: 10 });
    t.clock.advance(5000);
    expect((await peekTicket(t, ticket)).json()).toEqual({
      uses: 1,
      created: '2026-01-01T00:00:01.234Z',
      expires: '2026-01-01T00:00:11.234Z',
    });
  });
});
