import { type ClientOptions, send } from './http.js';

export interface TicketsOptions extends ClientOptions {
  /** The tenant (`Project` header), when ticketd runs with multi_tenancy. */
  project?: string;
  /** A bearer access token, when ticketd runs with `tickets.require_token`. */
  token?: string;
}

export interface CreateTicket {
  /** Seconds until expiry (default 60); 0 or null: never. */
  ttl?: number | null;
  /** Uses allowed (default 1); 0 or null: unlimited. */
  uses?: number | null;
  /** Any JSON; every use returns it as given. */
  payload?: unknown;
}

export interface UsedTicket<P = unknown> {
  /** Uses left after this one; null when unlimited. */
  uses: number | null;
  payload: P | null;
}

export interface PeekedTicket {
  uses: number | null;
  /** ISO 8601; null when it never expires. */
  expires: string | null;
  created: string;
}

/**
 * Opaque limited-use tickets (`/v1/tickets`, Authen-compatible). Refusals
 * throw TicketError with Authen's code, e.g. 102011 for a ticket that is
 * unknown, expired, used up, deleted or of another tenant.
 */
export class TicketsClient {
  constructor(private readonly options: TicketsOptions) {}

  private headers(): Record<string, string> {
    const h: Record<string, string> = {};
    if (this.options.project !== undefined) h.project = this.options.project;
    if (this.options.token !== undefined) h.authorization = `Bearer ${this.options.token}`;
    return h;
  }

  private async post<T>(path: string, json: unknown): Promise<T> {
    return (await send<T>(this.options, 'tickets', { method: 'POST', path, json, headers: this.headers() })).body;
  }

  /** A new ticket: 27 characters of standard Base64. */
  async create(ticket: CreateTicket = {}): Promise<string> {
    return (await this.post<{ ticket: string }>('/v1/tickets', ticket)).ticket;
  }

  /** Takes one use; returns the uses left and the payload. */
  use<P = unknown>(ticket: string): Promise<UsedTicket<P>> {
    return this.post('/v1/tickets/use', { ticket });
  }

  /** Uses left, expiry and creation, without taking a use (ticketd's own addition). */
  peek(ticket: string): Promise<PeekedTicket> {
    return this.post('/v1/tickets/peek', { ticket });
  }

  /** Removes a live ticket: `deleted: 1` with the uses it had left, or `deleted: 0`. */
  delete(ticket: string): Promise<{ uses: number | null; deleted: 0 | 1 }> {
    return this.post('/v1/tickets/delete', { ticket });
  }
}
