import type { Clock } from './clock.js';
import type { Events } from './events.js';

/** Opaque tickets of one tenant in one minute. */
export interface MinuteCounts {
  created: number;
  used: number;
  expired: number;
}

/** What a tenant's tickets did, minute by minute, oldest first. */
export interface TenantActivity {
  tenant: string;
  minutes: MinuteCounts[];
}

const MINUTE_MS = 60_000;
/** Minutes kept. */
export const ACTIVITY_MINUTES = 60;

/**
 * Opaque tickets created, used and expired per tenant and minute over the
 * last hour, as this process saw them (lifecycle events): the admin
 * console's live view. Each instance keeps its own; nothing goes to the
 * store. Memory: one small record per tenant and minute with activity.
 */
export class Activity {
  /** tenant → minute (epoch minutes) → counts; minutes older than the window are dropped as new ones come. */
  private readonly tenants = new Map<string, Map<number, MinuteCounts>>();

  constructor(
    events: Events,
    private readonly clock: Clock,
  ) {
    events.on('ticket.created', (e) => this.bump(e.tenant, 'created', 1));
    events.on('ticket.used', (e) => this.bump(e.tenant, 'used', 1));
    events.on('ticket.expired', (e) => this.bump(e.tenant, 'expired', e.count));
  }

  private bump(tenant: string, what: keyof MinuteCounts, n: number): void {
    const minute = Math.floor(this.clock.now() / MINUTE_MS);
    let minutes = this.tenants.get(tenant);
    if (!minutes) {
      minutes = new Map();
      this.tenants.set(tenant, minutes);
    }
    let counts = minutes.get(minute);
    if (!counts) {
      counts = { created: 0, used: 0, expired: 0 };
      minutes.set(minute, counts);
      for (const m of minutes.keys()) if (m <= minute - ACTIVITY_MINUTES) minutes.delete(m);
    }
    counts[what] += n;
  }

  /**
   * The last `minutes` minutes (the current one last) of every tenant with
   * activity in them, by tenant name; `since` is the epoch ms the first starts at.
   */
  snapshot(minutes = ACTIVITY_MINUTES): { since: number; tenants: TenantActivity[] } {
    const n = Math.max(1, Math.min(ACTIVITY_MINUTES, Math.floor(minutes)));
    const last = Math.floor(this.clock.now() / MINUTE_MS);
    const first = last - n + 1;
    const tenants: TenantActivity[] = [];
    for (const [tenant, byMinute] of [...this.tenants].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const series = Array.from({ length: n }, (_, i) => ({
        ...(byMinute.get(first + i) ?? { created: 0, used: 0, expired: 0 }),
      }));
      if (series.some((c) => c.created + c.used + c.expired > 0)) tenants.push({ tenant, minutes: series });
    }
    return { since: first * MINUTE_MS, tenants };
  }
}
