import type { ExpiredTicket, Store } from '../store/types.js';
import { ticketRef } from '../webhooks/catalog.js';
import type { Subscriptions } from '../webhooks/subscriptions.js';

/** The parts the purge clears: each has one purge method. */
export type PurgedParts = Pick<
  Store,
  'tickets' | 'sessions' | 'grants' | 'nonces' | 'lockouts' | 'rateLimits' | 'audit'
>;

import type { Clock } from './clock.js';
import type { Events } from './events.js';

/** What the purge removes, in the order it goes. */
export const PURGE_KINDS = ['tickets', 'sessions', 'grants', 'nonces', 'lockouts', 'rateLimits', 'audit'] as const;

/** How long the audit log keeps a record (docs/admin.md, "Audit log"). */
export const AUDIT_RETENTION_MS = 90 * 24 * 60 * 60 * 1000;
export type PurgeKind = (typeof PURGE_KINDS)[number];

export interface PurgeOptions {
  intervalMs: number;
  /** Records removed per store call: bounds how long one call holds the store. */
  batch: number;
  /** Batches per run at most; the next run goes on where this one stopped. */
  maxBatches: number;
}

/**
 * Background removal of expired records (opaque tickets, profile sessions,
 * Oz grants, Hawk nonces, failed logins of unknown usernames and rate-limit
 * windows), in bounded batches with a turn of
 * the event loop between batches so that requests are never stalled. Every
 * instance may run it: each batch is one atomic store step, so concurrent
 * purges on a shared store never remove a record twice.
 */
export class Purger {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly store: PurgedParts,
    private readonly clock: Clock,
    private readonly events: Events,
    private readonly options: PurgeOptions,
    private readonly onError: (err: unknown) => void = () => {},
    /** Which tenants take ticket.expired (docs/events.md); none without it. */
    private readonly subscriptions?: Subscriptions,
  ) {}

  /** The ticket.expired event of a ticket the purge removed, when an endpoint of its tenant takes it. */
  private readonly raiseExpired = (t: ExpiredTicket) => {
    const data = () => ({ tenant: t.tenant, ticket: ticketRef(t.id), expiresAt: new Date(t.expiresAt).toISOString() });
    return this.subscriptions?.event('ticket.expired', t.tenant, data, this.clock.now());
  };

  start(): void {
    this.timer = setInterval(() => {
      if (!this.running) this.runOnce().catch(this.onError);
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /**
   * Runs batches of each kind until one comes back short or maxBatches is
   * reached; returns how many records it removed. `onBatch` hears of every
   * batch, with its kind, as it ends.
   */
  runOnce(onBatch?: (kind: PurgeKind, removed: number) => void): Promise<number> {
    this.running ??= (async () => {
      let total = 0;
      try {
        for (const kind of PURGE_KINDS) {
          total += await this.drain(
            (now, limit) => this.purge(kind, now, limit),
            (removed) => onBatch?.(kind, removed),
          );
        }
        return total;
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** One batch of one kind; the lifecycle events of what it removed. */
  private async purge(kind: PurgeKind, now: number, limit: number): Promise<number> {
    switch (kind) {
      case 'tickets': {
        const { removed, byTenant } = await this.store.tickets.purge(
          now,
          limit,
          this.subscriptions ? this.raiseExpired : undefined,
        );
        for (const [tenant, count] of Object.entries(byTenant)) this.events.emit('ticket.expired', { tenant, count });
        return removed;
      }
      case 'sessions':
        return this.counted('login.expired', await this.store.sessions.purge(now, limit));
      case 'grants':
        return this.counted('grant.expired', await this.store.grants.purge(now, limit));
      case 'nonces':
        // Hawk nonces, lockouts and rate-limit windows are no record ticketd issued: no event.
        return this.store.nonces.purge(now, limit);
      case 'lockouts':
        return this.store.lockouts.purge(now, limit);
      case 'rateLimits':
        return this.store.rateLimits.purge(now, limit);
      case 'audit':
        return this.store.audit.purge(now - AUDIT_RETENTION_MS, limit);
    }
  }

  /** Says that `count` records expired, when there were any; returns `count`. */
  private counted(event: 'login.expired' | 'grant.expired', count: number): number {
    if (count > 0) this.events.emit(event, { count });
    return count;
  }

  /** Batches of one kind until one comes back short or maxBatches is reached. */
  private async drain(
    purge: (now: number, limit: number) => Promise<number>,
    onBatch: (removed: number) => void,
  ): Promise<number> {
    let total = 0;
    for (let i = 0; i < this.options.maxBatches; i++) {
      const removed = await purge(this.clock.now(), this.options.batch);
      total += removed;
      onBatch(removed);
      if (removed < this.options.batch) break;
      await new Promise((r) => setImmediate(r));
    }
    return total;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => {});
  }
}
