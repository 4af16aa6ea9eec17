/**
 * The webhook outbox (docs/events.md): events written in the same atomic
 * step as the change that raised them, then fanned out into one delivery per
 * subscribed endpoint, which instances claim, attempt and settle.
 */

/** An event waiting to be fanned out. */
export interface OutboxEvent {
  /** `msg_` + random: the `webhook-id` of every delivery of it. */
  id: string;
  tenant: string;
  type: string;
  /** The JSON body as every endpoint receives it (`{"type", "timestamp", "data"}`). */
  body: string;
  createdAt: number;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One event to one endpoint. */
export interface DeliveryRecord {
  eventId: string;
  endpointId: string;
  tenant: string;
  type: string;
  body: string;
  status: DeliveryStatus;
  /** Attempts started (a claim counts one). */
  attempts: number;
  /** Pending: when it may be tried next; a claim moves it past its lease. */
  nextAt: number;
  /** The HTTP status of the last attempt; null before one, or when none came. */
  lastStatus: number | null;
  /** Why the last attempt failed (never a body the receiver sent). */
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

/** Which endpoints take which events: an endpoint id, its tenant, and one of its types (`*`: every type). */
export interface Route {
  endpointId: string;
  tenant: string;
  type: string;
}

/** The end of one attempt. */
export interface Settlement {
  status: DeliveryStatus;
  /** Pending: when to try again. */
  nextAt: number;
  lastStatus: number | null;
  lastError: string | null;
}

export interface OutboxStore {
  /** Appends events in a step of their own (changes that raise events write them in their own step instead). */
  append(events: OutboxEvent[], now: number): Promise<void>;
  /**
   * Takes up to `limit` of the oldest events and turns each into one pending
   * delivery, due at once, per route of its tenant and type (none: it is
   * dropped), removing the event: one atomic step, each event taken once
   * whoever calls. Answers how many events it took.
   */
  fanOut(limit: number, routes: Route[], now: number): Promise<number>;
  /**
   * Claims up to `limit` pending deliveries due by `now`, oldest due first:
   * each gets one more attempt and is not due again before `now + leaseMs`,
   * so no other caller claims it meanwhile. Answers them as claimed.
   */
  claim(limit: number, now: number, leaseMs: number): Promise<DeliveryRecord[]>;
  /**
   * Ends the attempt `claimed` stands for; false (nothing written) when the
   * delivery was claimed again since or is gone: a later attempt decides.
   */
  settle(claimed: DeliveryRecord, outcome: Settlement, now: number): Promise<boolean>;
  /** The endpoint's deliveries, newest first. */
  listDeliveries(endpointId: string, limit: number): Promise<DeliveryRecord[]>;
  /** Removes up to `limit` delivered and failed deliveries last changed before `before`; answers how many. */
  purge(before: number, limit: number): Promise<number>;
}
