import { randomBytes } from 'node:crypto';
import type { AuditFilter, AuditRecord, AuditStore } from '../store/types.js';
import type { Clock } from './clock.js';

/** Who acted: `cli`, or `token:` and the first 8 characters of the access token's id; and from where. */
export interface AuditActor {
  actor: string;
  address: string | null;
}

/**
 * The audit log (docs/admin.md, "Audit log"): every administrative change,
 * on the admin API and `ticketd admin`, with who made it, from where, what
 * it acted on and how it ended. Never a secret: targets are ids and names,
 * an access token only by its first 8 characters.
 */
export class AuditLog {
  constructor(
    private readonly store: AuditStore,
    private readonly clock: Clock,
  ) {}

  /** Orders this process's records within one millisecond. */
  private seq = 0;

  async record(entry: Omit<AuditRecord, 'id' | 'at'>): Promise<void> {
    const at = this.clock.now();
    this.seq = (this.seq + 1) % 1_000_000;
    const id = `${String(at).padStart(13, '0')}-${String(this.seq).padStart(6, '0')}${randomBytes(4).toString('hex')}`;
    await this.store.append({ id, at, ...entry });
  }

  list(filter: AuditFilter, limit: number): Promise<AuditRecord[]> {
    return this.store.list(filter, limit);
  }
}

/** How an access token id appears in the audit log: its first 8 characters, as listings show it. */
export const tokenActor = (tokenId: string): string => `token:${tokenId.slice(0, 8)}`;
