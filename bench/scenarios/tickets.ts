/**
 * Opaque-ticket scenarios (issue 2): create, use, create+use pairs, and use
 * over a pool of live tickets that every use leaves alive (the 1,000,000
 * vs 10,000 live tickets comparison).
 */
import type { RequestSpec } from 'autocannon';

export const CREATE_BODY = '{"uses":1,"ttl":60,"payload":{"user_id":9001}}';
export const PAYLOAD_JSON = '{"user_id":9001}';
const JSON_HEADERS = { 'content-type': 'application/json' };

export const createRequests = (): RequestSpec[] => [
  { method: 'POST', path: '/v1/tickets', headers: JSON_HEADERS, body: CREATE_BODY },
];

/** Live tickets seeded for the use scenarios, and how far the runs on them got. */
export class TicketPool {
  readonly tickets: string[] = [];
  /** The next ticket a use takes. */
  next = 0;

  add(more: string[]): void {
    for (const t of more) this.tickets.push(t);
  }

  /** Tickets no use has taken yet. */
  get unused(): number {
    return this.tickets.length - this.next;
  }
}

/**
 * Each use takes the next ticket of the pool. With `wrap` off (tickets of
 * one use), every run on the pool goes on where the last one stopped, and
 * past its end a use names a ticket that does not exist (a 404); with `wrap`
 * on (tickets of many uses) it goes round and round.
 */
export function useRequests(pool: TicketPool, wrap = false): () => RequestSpec[] {
  return () => [
    {
      method: 'POST',
      path: '/v1/tickets/use',
      headers: JSON_HEADERS,
      setupRequest: (req) => {
        const i = pool.next++;
        const ticket = wrap ? pool.tickets[i % pool.tickets.length] : pool.tickets[i];
        req.body = `{"ticket":"${ticket ?? 'AAAAAAAAAAAAAAAAAAAAAAAAAAA'}"}`;
        return req;
      },
    },
  ];
}

/** Each connection creates a ticket, then uses the ticket it was given. */
export const pairRequests = (): RequestSpec[] => [
  {
    method: 'POST',
    path: '/v1/tickets',
    headers: JSON_HEADERS,
    body: CREATE_BODY,
    onResponse: (status, body, context) => {
      context.ticket = status === 200 ? (JSON.parse(body) as { ticket: string }).ticket : undefined;
    },
  },
  {
    method: 'POST',
    path: '/v1/tickets/use',
    headers: JSON_HEADERS,
    setupRequest: (req, context) => {
      req.body = `{"ticket":"${String(context.ticket)}"}`;
      return req;
    },
  },
];
