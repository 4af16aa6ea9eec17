import { randomUUID } from 'node:crypto';
import { type Static, type TObject, type TSchema, Type } from '@sinclair/typebox';
import type { OutboxEvent } from '../store/types.js';

/**
 * The events ticketd delivers to webhook endpoints (docs/events.md), one
 * entry each: when it is raised and the shape of its `data`. `data` holds
 * only what is public — tenant names, ids, and for opaque tickets a
 * reference (TicketRef) — never a ticket, key, password, payload or token.
 * docs/events.md is kept equal to this table by test/webhooks/catalog.test.ts.
 */

const Tenant = Type.String({ description: 'the tenant the event belongs to' });
/**
 * The first 16 hex digits of the ticket's id in the store (the SHA-256 of the
 * ticket): whoever holds the ticket can tell which one it is, and nobody can
 * get the ticket from it.
 */
export const TicketRef = Type.String({ pattern: '^[0-9a-f]{16}$', description: 'short reference of the ticket' });
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const eventCatalog = {
  'ticket.created': {
    when: 'An opaque ticket was created.',
    data: Type.Object({
      tenant: Tenant,
      ticket: TicketRef,
      uses: Nullable(Type.Integer({ description: 'uses it was created with; null: unlimited' })),
      expiresAt: Nullable(Type.String({ format: 'date-time', description: 'null: never expires' })),
    }),
  },
  'ticket.used': {
    when: 'A use of an opaque ticket was taken.',
    data: Type.Object({ tenant: Tenant, ticket: TicketRef }),
  },
  'ticket.deleted': {
    when: 'An opaque ticket was deleted before it was used up.',
    data: Type.Object({ tenant: Tenant, ticket: TicketRef }),
  },
  'ticket.expired': {
    when: 'The purge removed an opaque ticket after it expired (a ticket used up raises ticket.used instead).',
    data: Type.Object({
      tenant: Tenant,
      ticket: TicketRef,
      expiresAt: Type.String({ format: 'date-time', description: 'when it expired' }),
    }),
  },
  'login.succeeded': {
    when: 'A profile logged in with its password (POST /api/1/ticket/authenticate): a login ticket was issued.',
    data: Type.Object({ tenant: Tenant, profileId: Type.String() }),
  },
  'login.failed': {
    when: 'A password login was refused: wrong username or password, profile locked, or profile disabled.',
    data: Type.Object({
      tenant: Tenant,
      profileId: Nullable(Type.String({ description: 'null: no profile has the username' })),
      reason: Type.Union([Type.Literal('bad_credentials'), Type.Literal('locked'), Type.Literal('disabled')]),
    }),
  },
  'profile.locked': {
    when: 'A failed login reached failedLoginAttemptsBeforeLock: the profile is locked for lockTime.',
    data: Type.Object({
      tenant: Tenant,
      profileId: Type.String(),
      lockedUntil: Type.String({ format: 'date-time' }),
    }),
  },
  'session.ended': {
    when: 'A profile logged out (a login ticket invalidated or a persistent login deleted), or every session of a profile ended because it was disabled, deleted or given a new password.',
    data: Type.Object({
      tenant: Tenant,
      profileId: Type.String(),
      reason: Type.Union([
        Type.Literal('logout'),
        Type.Literal('disabled'),
        Type.Literal('deleted'),
        Type.Literal('password_changed'),
      ]),
    }),
  },
  'grant.created': {
    when: 'An Oz grant was made: an app may act for a profile (POST /v1/ticket or /v1/rsvp; a grant that fits is reused and raises none).',
    data: Type.Object({ tenant: Tenant, grantId: Type.String(), appId: Type.String(), profileId: Type.String() }),
  },
  'grant.revoked': {
    when: 'An administrator revoked an Oz grant (DELETE /admin/v1/grants/{id}).',
    data: Type.Object({ tenant: Tenant, grantId: Type.String(), appId: Type.String(), profileId: Type.String() }),
  },
  'app.key_rotated': {
    when: "An Oz app's Hawk key was rotated (POST /admin/v1/apps/{id}/key): its app tickets end.",
    data: Type.Object({ tenant: Tenant, appId: Type.String() }),
  },
  'audit.recorded': {
    when: 'An administrative change concerning the tenant was written to the audit log (docs/admin.md, "Audit log").',
    data: Type.Object({
      tenant: Tenant,
      id: Type.String({ description: 'the audit record' }),
      actor: Type.String({ description: 'cli, or token: and the first 8 characters of the access token id' }),
      action: Type.String({ description: 'e.g. profile.delete' }),
      target: Nullable(Type.String()),
      outcome: Type.String({ description: 'ok, or the error code it ended with' }),
    }),
  },
} satisfies Record<string, { when: string; data: TObject }>;

export type EventType = keyof typeof eventCatalog;
export const EVENT_TYPES = Object.keys(eventCatalog) as EventType[];
/** `ticket.*`, `login.*`, …: an endpoint may subscribe to a whole family, present and future types. */
export const EVENT_FAMILIES = [...new Set(EVENT_TYPES.map((t) => `${t.slice(0, t.indexOf('.'))}.*`))];

/** The catalog's types a subscription list names: families spelled out; `*` (every type) kept as it is. */
export function expandEventTypes(events: readonly string[]): string[] {
  return [
    ...new Set(
      events.flatMap((e) => (e.endsWith('.*') ? EVENT_TYPES.filter((t) => t.startsWith(e.slice(0, -1))) : [e])),
    ),
  ];
}
export type EventData<K extends EventType> = Static<(typeof eventCatalog)[K]['data']>;

/** What an endpoint receives, per Standard Webhooks: the type, when it happened, and its data. */
export interface WebhookPayload<K extends EventType = EventType> {
  type: K;
  /** ISO 8601: when the change was made. */
  timestamp: string;
  data: EventData<K>;
}

/** The reference of a ticket whose store id is `id`. */
export const ticketRef = (id: Buffer): string => id.subarray(0, 8).toString('hex');

/**
 * An event as the outbox keeps it: a new `msg_` id (the webhook-id of every
 * delivery) and the body every endpoint receives, made once.
 */
export function outboxEvent<K extends EventType>(type: K, data: EventData<K>, now: number): OutboxEvent {
  const payload: WebhookPayload<K> = { type, timestamp: new Date(now).toISOString(), data };
  return {
    // randomUUID draws on Node's entropy cache: a fraction of randomBytes' cost per call, on the hot path.
    id: `msg_${randomUUID().replaceAll('-', '')}`,
    tenant: data.tenant,
    type,
    body: JSON.stringify(payload),
    createdAt: now,
  };
}
