import { randomBytes } from 'node:crypto';
import type { AuditFilter, AuditRecord, Store } from '../store/types.js';
import type { Subscriptions } from '../webhooks/subscriptions.js';
import type { Clock } from './clock.js';

/** Who acted: `cli`, or `token:` and the first 8 characters of the access token's id; and from where. */
export interface AuditActor {
  actor: string;
  address: string | null;
}

/**
 * The audit log (docs/admin.md, "Audit log"): every administrative change,
 * on the admin API, the Crafter management routes and `ticketd admin`, with
 * who made it, from where, what it acted on and how it ended. Never a
 * secret: targets are ids and names, an access token only by its first 8
 * characters. A record about a tenant is also its audit.recorded webhook
 * event (docs/events.md), when an endpoint of the tenant takes it.
 */
export class AuditLog {
  constructor(
    private readonly store: Pick<Store, 'audit'>,
    private readonly clock: Clock,
    private readonly subscriptions?: Subscriptions,
  ) {}

  /** Orders this process's records within one millisecond. */
  private seq = 0;

  async record(entry: Omit<AuditRecord, 'id' | 'at'>): Promise<void> {
    const at = this.clock.now();
    this.seq = (this.seq + 1) % 1_000_000;
    const id = `${String(at).padStart(13, '0')}-${String(this.seq).padStart(6, '0')}${randomBytes(4).toString('hex')}`;
    const record: AuditRecord = { id, at, ...entry };
    await this.store.audit.append(record);
    const { tenant } = record;
    if (tenant === null) return;
    const data = () => ({
      tenant,
      id,
      actor: record.actor,
      action: record.action,
      target: record.target,
      outcome: record.outcome,
    });
    await this.subscriptions?.raise('audit.recorded', tenant, data, at);
  }

  list(filter: AuditFilter, limit: number): Promise<AuditRecord[]> {
    return this.store.audit.list(filter, limit);
  }
}

/** How an access token id appears in the audit log: its first 8 characters, as listings show it. */
export const tokenActor = (tokenId: string): string => `token:${tokenId.slice(0, 8)}`;
