import { startTestTicketd, type TestTicketd } from '../../helpers/ticketd.js';
import type { Tenancy } from './oracle.js';

/** A running ticketd for fuzzing, with a pool of live tickets per tenant. */
export interface FuzzTarget {
  t: TestTicketd;
  tenancy: Tenancy;
  /** Tickets `$LIVE<n>` stands for (all tenants). */
  pool: string[];
  /** Tickets issued per tenant (they may since have been used up or deleted). */
  issued: Map<string, Set<string>>;
  liveIn(tenant: string): ReadonlySet<string>;
}

const NONE: ReadonlySet<string> = new Set();

async function issue(t: TestTicketd, tenant: string | undefined, body: object): Promise<string> {
  const res = await t.server.inject({
    method: 'POST',
    url: '/v1/tickets',
    headers: tenant ? { project: tenant } : {},
    payload: body,
  });
  if (res.statusCode !== 200) throw new Error(`cannot create a pool ticket: ${res.statusCode} ${res.body}`);
  return (res.json() as { ticket: string }).ticket;
}

/**
 * Single-tenant: tenant `default` only. Multi-tenant: `default` and `open`
 * without limits, `acme` with small ones (so 102009 and 102010 happen).
 */
export async function startTarget(multi: boolean, poolSize = 64): Promise<FuzzTarget> {
  const t = await startTestTicketd({
    config: multi
      ? { multi_tenancy: true, tenants: { open: {}, acme: { ticketMax: 20, ticketMaxPayloadLength: 32 } } }
      : {},
  });
  const tenancy: Tenancy = multi
    ? { multi: true, tenants: { default: false, open: false, acme: true } }
    : { multi: false, tenants: { default: false } };
  const owners = multi ? ['default', 'open'] : ['default'];
  const issued = new Map<string, Set<string>>();
  const pool: string[] = [];
  for (let i = 0; i < poolSize; i++) {
    const tenant = owners[i % owners.length] as string;
    // Mostly unlimited and never expiring, so that they stay live; some single-use ones.
    const body = i % 8 === 7 ? { uses: 1, ttl: 0, payload: { i } } : { uses: 0, ttl: 0, payload: { i, n: 1.0 } };
    const ticket = await issue(t, multi ? tenant : undefined, body);
    pool.push(ticket);
    const set = issued.get(tenant) ?? new Set<string>();
    set.add(ticket);
    issued.set(tenant, set);
  }
  return { t, tenancy, pool, issued, liveIn: (tenant) => issued.get(tenant) ?? NONE };
}

/** Error-level lines in the instance's log (an internal error would be logged there). */
export function errorLines(t: TestTicketd): string[] {
  return t
    .logs()
    .split('\n')
    .filter((l) => /"level":(50|60)/.test(l));
}
