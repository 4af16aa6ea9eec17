import type { Store } from '../store/types.js';
import type { Clock } from './clock.js';
import type { Events } from './events.js';

export interface PurgeOptions {
  intervalMs: number;
  /** Records removed per store call: bounds how long one call holds the store. */
  batch: number;
  /** Batches per run at most; the next run goes on where this one stopped. */
  maxBatches: number;
}

/**
 * Background removal of expired records (opaque tickets, login tickets,
 * persistent logins, Oz grants and Hawk nonces), in bounded batches with a turn of
 * the event loop between batches so that requests are never stalled. Every
 * instance may run it: each batch is one atomic store step, so concurrent
 * purges on a shared store never remove a record twice.
 */
export class Purger {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly events: Events,
    private readonly options: PurgeOptions,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      if (!this.running) this.runOnce().catch(this.onError);
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** Runs batches until one comes back short or maxBatches is reached; returns how many records it removed. */
  runOnce(onBatch?: (removed: number) => void): Promise<number> {
    this.running ??= (async () => {
      let total = 0;
      try {
        total += await this.drain(
          async (now, limit) => {
            const { removed, byTenant } = await this.store.purgeTickets(now, limit);
            for (const [tenant, count] of Object.entries(byTenant))
              this.events.emit('ticket.expired', { tenant, count });
            return removed;
          },
          () => {},
          onBatch,
        );
        const loginsExpired = (count: number) => this.events.emit('login.expired', { count });
        total += await this.drain((now, limit) => this.store.purgeLoginTickets(now, limit), loginsExpired, onBatch);
        total += await this.drain((now, limit) => this.store.purgePersistentLogins(now, limit), loginsExpired, onBatch);
        total += await this.drain(
          (now, limit) => this.store.purgeGrants(now, limit),
          (count) => this.events.emit('grant.expired', { count }),
          onBatch,
        );
        total += await this.drain(
          (now, limit) => this.store.purgeNonces(now, limit),
          () => {},
          onBatch,
        );
        return total;
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** Batches of one kind of record until one comes back short or maxBatches is reached. */
  private async drain(
    purge: (now: number, limit: number) => Promise<number>,
    emit: (count: number) => void,
    onBatch: ((removed: number) => void) | undefined,
  ): Promise<number> {
    let total = 0;
    for (let i = 0; i < this.options.maxBatches; i++) {
      const removed = await purge(this.clock.now(), this.options.batch);
      total += removed;
      if (removed > 0) emit(removed);
      onBatch?.(removed);
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
