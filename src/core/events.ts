/**
 * Lifecycle events of every record ticketd issues. Metrics and the audit log
 * subscribe here, so domain code reports what happened once and never
 * knows who listens.
 */
export interface LifecycleEvents {
  'ticket.created': { tenant: string };
  'ticket.used': { tenant: string };
  'ticket.deleted': { tenant: string };
  /** Tickets of a tenant removed by the purge after they expired. */
  'ticket.expired': { tenant: string; count: number };
  /** A profile session (login ticket) was created by authenticate or ticket/create. */
  'login.created': { tenant: string; profileId: string };
  /** A login ticket was invalidated (logout). Oz grants made from it end with it. */
  'login.invalidated': { tenant: string; profileId: string };
  /** Every session of a profile ended: it was disabled or deleted, or its password changed. */
  'profile.sessions_ended': { tenant: string; profileId: string; reason: 'disabled' | 'deleted' | 'password_changed' };
  /** Login tickets and persistent logins removed by the purge after they expired. */
  'login.expired': { count: number };
  /** The Oz surface refused a request with a 401 (Hawk or Oz); `reason` is the catalog's message. */
  'oz.refused': { reason: string };
  /** Oz grants removed by the purge after they expired (Hawk nonces, which are no record issued, emit nothing). */
  'grant.expired': { count: number };
}

type Listener<T> = (event: T) => void;

export class Events {
  private readonly listeners: { [K in keyof LifecycleEvents]?: Listener<LifecycleEvents[K]>[] } = {};

  on<K extends keyof LifecycleEvents>(name: K, listener: Listener<LifecycleEvents[K]>): void {
    const list = (this.listeners[name] ?? []) as Listener<LifecycleEvents[K]>[];
    list.push(listener);
    (this.listeners as Record<string, unknown>)[name] = list;
  }

  emit<K extends keyof LifecycleEvents>(name: K, event: LifecycleEvents[K]): void {
    const list = this.listeners[name] as Listener<LifecycleEvents[K]>[] | undefined;
    if (list) for (const l of list) l(event);
  }
}
