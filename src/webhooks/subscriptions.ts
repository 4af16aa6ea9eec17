import type { Store, WebhookEndpointRecord } from '../store/types.js';
import { type EventData, type EventType, expandEventTypes, outboxEvent } from './catalog.js';
import { ALL_EVENTS } from './endpoints.js';

/**
 * Which event types the enabled endpoints of each tenant take, as this
 * instance last read them: read at start, after every change made here,
 * and by each delivery round (webhooks.interval_ms) for changes made on
 * other instances. A change raises its event (written to the outbox in the
 * change's own step) only when an endpoint takes it, so a deployment without
 * webhooks writes nothing more.
 */
export class Subscriptions {
  private byTenant = new Map<string, Set<string>>();

  constructor(private readonly store: Pick<Store, 'webhooks' | 'outbox'>) {}

  /** Reads every endpoint; answers them. */
  async refresh(): Promise<WebhookEndpointRecord[]> {
    const all = await this.store.webhooks.list(null);
    const byTenant = new Map<string, Set<string>>();
    for (const e of all) {
      if (!e.enabled) continue;
      const types = byTenant.get(e.tenant) ?? new Set<string>();
      for (const type of expandEventTypes(e.events)) types.add(type);
      byTenant.set(e.tenant, types);
    }
    this.byTenant = byTenant;
    return all;
  }

  wants(tenant: string, type: EventType): boolean {
    const types = this.byTenant.get(tenant);
    return types !== undefined && (types.has(type) || types.has(ALL_EVENTS));
  }

  /**
   * The event to write with a change, or undefined when no endpoint of the
   * tenant takes it: `data` is made only then, so a change nobody subscribed
   * to costs a map lookup and nothing more (the ticket routes' hot path).
   */
  event<K extends EventType>(type: K, tenant: string, data: () => EventData<K>, now: number) {
    return this.wants(tenant, type) ? outboxEvent(type, data(), now) : undefined;
  }

  /**
   * Writes an event that goes with no change of its own (a login's outcome,
   * an audit record) to the outbox in a step of its own, when an endpoint
   * takes it. Callers await it before answering, so that an answered request
   * always has its event (docs/events.md).
   */
  async raise<K extends EventType>(type: K, tenant: string, data: () => EventData<K>, now: number): Promise<void> {
    const event = this.event(type, tenant, data, now);
    if (event) await this.store.outbox.append([event], now);
  }
}
