import { expect } from 'vitest';
import type { TestTicketd } from '../helpers/ticketd.js';

/** What `server.inject` resolves to. */
export type Reply = Awaited<ReturnType<TestTicketd['server']['inject']>>;

export interface PostOptions {
  /** Extra request headers (e.g. `project`). */
  headers?: Record<string, string>;
}

/**
 * POSTs to a ticket route. An object body is sent as JSON with
 * `Content-Type: application/json`; a string body is sent as is, with only
 * the headers given (so a test decides what content type, if any, it has);
 * `undefined` sends no body at all.
 */
export async function post(t: TestTicketd, url: string, body?: unknown, options: PostOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  let payload: string | undefined;
  if (typeof body === 'string') payload = body;
  else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await t.server.inject({ method: 'POST', url, headers, ...(payload === undefined ? {} : { payload }) });
  expectCommonHeaders(res);
  return res;
}

/** Every answer of the ticket surface: JSON, with a request id. */
export function expectCommonHeaders(res: Reply): void {
  expect(res.headers['content-type'], `content type of ${res.statusCode} ${res.body}`).toMatch(/^application\/json/);
  expect(res.headers.requestid, `RequestId of ${res.statusCode} ${res.body}`).toMatch(/^[0-9a-f-]{36}$/);
}

/** Creates a ticket and returns it; fails the test unless the answer is 200. */
export async function createTicket(t: TestTicketd, body: unknown = {}, options: PostOptions = {}): Promise<string> {
  const res = await post(t, '/v1/tickets', body, options);
  expect(res.statusCode, res.body).toBe(200);
  const { ticket } = res.json() as { ticket: string };
  return ticket;
}

export const useTicket = (t: TestTicketd, ticket: string, options?: PostOptions) =>
  post(t, '/v1/tickets/use', { ticket }, options);
export const deleteTicket = (t: TestTicketd, ticket: string, options?: PostOptions) =>
  post(t, '/v1/tickets/delete', { ticket }, options);
export const peekTicket = (t: TestTicketd, ticket: string, options?: PostOptions) =>
  post(t, '/v1/tickets/peek', { ticket }, options);

/** An error answer: its status and the body `{"code", "error"}` (plus any `extra` fields, exactly). */
export function expectError(res: Reply, status: number, code: number, extra: Record<string, unknown> = {}): void {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json() as Record<string, unknown>;
  expect(body.code).toBe(code);
  expect(typeof body.error).toBe('string');
  expect(body).toEqual({ code, error: body.error, ...extra });
}

export const expectTicketNotFound = (res: Reply) => expectError(res, 404, 102011, {});

/** A 2004 answer whose `invalid[]` is exactly `invalid`. */
export function expectInvalid(res: Reply, invalid: unknown[]): void {
  expectError(res, 400, 2004, { invalid });
}

/** A 27-character standard Base64 ticket, as Authen draws them. */
export const TICKET_FORMAT = /^[A-Za-z0-9+/]{27}$/;

/** A well-formed ticket that was never issued. */
export const UNKNOWN_TICKET = 'UrX/fTU0TaEEBv1ZlhpImz1c1Ts';

/** Bodies just over the default 1 MiB limit. */
export const OVERSIZED_BODY = `{"payload":"${'x'.repeat(1024 * 1024)}"}`;

/** Makes one store method throw, as a bug in a store would; returns the error it throws. */
export function breakStore(t: TestTicketd, method: 'create' | 'use' | 'delete' | 'peek') {
  const err = new Error(`store tickets.${method} exploded: internal detail`);
  Object.assign(t.store.tickets, {
    [method]: async () => {
      throw err;
    },
  });
  return err;
}

/** A 500 answer as docs/tickets.md describes it: 2001, an error id in body and header, logged, no stack. */
export function expectInternalError(t: TestTicketd, res: Reply, cause: Error): void {
  expect(res.statusCode).toBe(500);
  const body = res.json() as { code: number; error: string; error_id: string };
  expect(body).toEqual({ code: 2001, error: 'internal server error', error_id: expect.any(String) });
  expect(body.error_id).toMatch(/^[0-9a-f-]{36}$/);
  expect(res.headers['error-id']).toBe(body.error_id);
  expect(res.body).not.toContain(cause.message);
  expect(res.body).not.toMatch(/\bat .*\(|\.ts:\d+|stack/);
  const logged = t
    .logs()
    .split('\n')
    .filter((l) => l.includes(body.error_id));
  expect(logged.length).toBeGreaterThan(0);
  expect(logged.join('\n')).toContain(cause.message);
}
