/**
 * The audit log (docs/admin.md, "Audit log"): every change made on the admin
 * API is recorded with its actor (the master token's first 8 characters),
 * address, action, tenant, target and outcome; reads are not; an access
 * token appears by its first 8 characters only. (`ticketd admin` records
 * `cli`: test/admin/cli.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/store/types.js';
import { admin, createToken, MASTER, ok, startTestTicketd, type TestTicketd } from './support.js';

let t: TestTicketd;
beforeAll(async () => {
  t = await startTestTicketd();
});
afterAll(() => t.stop());

interface Page {
  records: AuditRecord[];
  next: string | null;
}
const audit = async (query: Record<string, string> = {}) =>
  ok<Page>(await admin(t, 'GET', '/audit', undefined, { query }));

describe('audit log', () => {
  it('records changes with actor, address, target and outcome; not reads; never a whole access token', async () => {
    ok(await admin(t, 'POST', '/tenants', { name: 'shop' }), 201);
    ok(await admin(t, 'GET', '/tenants/shop'));
    ok(await admin(t, 'POST', '/tenants', { name: 'shop' }), 409);
    const token = await createToken(t, { master: false });
    ok(await admin(t, 'DELETE', `/access-tokens/${token}`));
    const { records } = await audit();
    const actor = `token:${MASTER.slice(0, 8)}`;
    expect(records.map(({ action, tenant, target, outcome }) => ({ action, tenant, target, outcome }))).toEqual([
      { action: 'access-token.delete', tenant: null, target: token.slice(0, 8), outcome: 'ok' },
      { action: 'tenant.create', tenant: 'shop', target: 'shop', outcome: '103004' },
      { action: 'tenant.create', tenant: 'shop', target: 'shop', outcome: 'ok' },
    ]);
    for (const r of records) expect(r).toMatchObject({ actor, address: '127.0.0.1' });
    expect(JSON.stringify(records)).not.toContain(token);
  });

  it('filters by tenant, action and actor; pages newest first with next/before', async () => {
    for (const name of ['p1', 'p2', 'p3']) ok(await admin(t, 'POST', '/tenants', { name }), 201);
    const shop = await audit({ tenant: 'shop' });
    expect(shop.records.every((r) => r.tenant === 'shop')).toBe(true);
    const creates = await audit({ action: 'tenant.create', limit: '2' });
    expect(creates.records.map((r) => r.target)).toEqual(['p3', 'p2']);
    expect(creates.next).toBe(creates.records[1]?.id);
    const more = await audit({ action: 'tenant.create', limit: '2', before: creates.next as string });
    expect(more.records.map((r) => r.target)).toEqual(['p1', 'shop']);
    expect((await audit({ actor: 'cli' })).records).toEqual([]);
  });
});
