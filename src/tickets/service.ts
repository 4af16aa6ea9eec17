import type { Clock } from '../core/clock.js';
import type { Events } from '../core/events.js';
import type { TenantRecord, TicketStore } from '../store/types.js';
import { ticketRef } from '../webhooks/catalog.js';
import type { Subscriptions } from '../webhooks/subscriptions.js';
import { ticketError } from './errors.js';
import { newTicket, openPayload, sealPayload, ticketId } from './secret.js';

export interface CreateTicket {
  /** Seconds to live; 0 or null: never expires. */
  ttl: number | null;
  /** Uses allowed; 0 or null: unlimited. */
  uses: number | null;
  /** Compact JSON text of the payload; undefined when there is none. */
  payloadJson: string | undefined;
}

export interface UsedTicket {
  uses: number | null;
  /** Compact JSON text of the payload, exactly as it was given; `null` when there was none. */
  payloadJson: string | null;
}

export interface PeekedTicket {
  uses: number | null;
  expires: number | null;
  created: number;
}

/** The opaque-ticket lifecycle (docs/tickets.md), on any store. */
export class TicketService {
  constructor(
    private readonly store: TicketStore,
    private readonly clock: Clock,
    private readonly events: Events,
    /** Which changes raise webhook events (docs/events.md); none without it. */
    private readonly subscriptions?: Subscriptions,
  ) {}

  async create(tenant: TenantRecord, input: CreateTicket): Promise<string> {
    const { ticketMax, ticketMaxPayloadLength } = tenant.settings;
    const json = input.payloadJson;
    if (json !== undefined && ticketMaxPayloadLength > 0 && Buffer.byteLength(json) > ticketMaxPayloadLength) {
      throw ticketError('payloadTooLong');
    }
    const now = this.clock.now();
    const ticket = newTicket();
    const id = ticketId(ticket);
    const usesLeft = input.uses || null;
    const expiresAt = input.ttl ? now + input.ttl * 1000 : null;
    const event = this.subscriptions?.event(
      'ticket.created',
      tenant.name,
      () => ({
        tenant: tenant.name,
        ticket: ticketRef(id),
        uses: usesLeft,
        expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString(),
      }),
      now,
    );
    const result = await this.store.create(
      {
        tenant: tenant.name,
        id,
        usesLeft,
        expiresAt,
        createdAt: now,
        payload: json === undefined ? null : sealPayload(ticket, json),
      },
      ticketMax,
      now,
      event,
    );
    if (result === 'limit') throw ticketError('ticketLimit');
    this.events.emit('ticket.created', { tenant: tenant.name });
    return ticket;
  }

  async use(tenant: string, ticket: string): Promise<UsedTicket> {
    const id = ticketId(ticket);
    const now = this.clock.now();
    const used = await this.store.use(
      tenant,
      id,
      now,
      this.subscriptions?.event('ticket.used', tenant, () => ({ tenant, ticket: ticketRef(id) }), now),
    );
    if (!used) throw ticketError('ticketNotFound');
    this.events.emit('ticket.used', { tenant });
    return { uses: used.usesLeft, payloadJson: used.payload ? openPayload(ticket, used.payload) : null };
  }

  async delete(tenant: string, ticket: string): Promise<{ uses: number | null; deleted: 0 | 1 }> {
    const id = ticketId(ticket);
    const now = this.clock.now();
    const removed = await this.store.delete(
      tenant,
      id,
      now,
      this.subscriptions?.event('ticket.deleted', tenant, () => ({ tenant, ticket: ticketRef(id) }), now),
    );
    if (!removed) return { uses: null, deleted: 0 };
    this.events.emit('ticket.deleted', { tenant });
    return { uses: removed.usesLeft, deleted: 1 };
  }

  async peek(tenant: string, ticket: string): Promise<PeekedTicket> {
    const info = await this.store.peek(tenant, ticketId(ticket), this.clock.now());
    if (!info) throw ticketError('ticketNotFound');
    return { uses: info.usesLeft, expires: info.expiresAt, created: info.createdAt };
  }
}
