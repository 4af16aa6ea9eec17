/**
 * The bin as `npm ci` installs it: dist/ticketd.mjs, one bundled file
 * (scripts/bundle.mjs), which every process test runs: this one proves the
 * bundle serves every surface, hashes passwords on its worker thread, and
 * stops cleanly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../bench/build.js';
import { freePort, request, runTicketd, type TicketdRun, waitForPing } from '../helpers/process.js';

const MASTER = 'bin-test-master-token-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'ticketd-bin-'));

describe('the bundled bin (dist/ticketd.mjs)', () => {
  let p: TicketdRun;
  let port: number;

  beforeAll(async () => {
    ensureBuilt('when-stale');
    port = await freePort();
    p = runTicketd(
      ['serve', '--listen', `127.0.0.1:${port}`, '--store', `sqlite:${join(dir, 'ticketd.db')}`],
      { TICKETD_MASTER_TOKEN: MASTER },
      'bin',
    );
    await waitForPing(p, port);
  }, 120_000);

  afterAll(() => {
    p?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints its version', async () => {
    const v = runTicketd(['--version'], {}, 'bin');
    expect((await v.exited).code).toBe(0);
    expect(v.stdout().trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('serves tickets, the profile surface with password hashing, the admin API, OpenAPI, /docs and metrics', async () => {
    const created = await request(port, 'POST', '/v1/tickets', '{"uses":1,"payload":{"user_id":9001}}');
    expect(created.status).toBe(200);
    const { ticket } = JSON.parse(created.body) as { ticket: string };
    const used = await request(port, 'POST', '/v1/tickets/use', JSON.stringify({ ticket }));
    expect([used.status, used.body]).toEqual([200, '{"uses":0,"payload":{"user_id":9001}}']);

    const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
    const profile = await request(
      port,
      'POST',
      `/api/1/profile/create?${form({ accessTokenId: MASTER, tenantName: 'default', username: 'alice', password: 'pw-0123456789', email: 'alice@example.com' })}`,
    );
    expect(profile.status, profile.body).toBe(200);
    const login = await request(
      port,
      'POST',
      `/api/1/authentication/authenticate?${form({ accessTokenId: MASTER, tenantName: 'default', username: 'alice', password: 'pw-0123456789' })}`,
    );
    expect(login.status, login.body).toBe(200);

    const tenants = await fetch(`http://127.0.0.1:${port}/admin/v1/tenants`, {
      headers: { authorization: `Bearer ${MASTER}` },
    });
    expect(tenants.status).toBe(200);
    const openapi = await request(port, 'GET', '/openapi.json');
    expect(JSON.parse(openapi.body).openapi).toBe('3.1.0');
    const docs = await request(port, 'GET', '/docs/static/swagger-initializer.js');
    expect([docs.status, docs.body.includes('SwaggerUIBundle')]).toEqual([200, true]);
    const metrics = await request(port, 'GET', '/metrics');
    expect(metrics.body).toContain('ticketd_tickets_total{event="created"} 1');
  });

  it('stops on SIGTERM with exit status 0', async () => {
    p.child.kill('SIGTERM');
    const exit = await p.exited;
    expect([exit.code, exit.signal]).toEqual([0, null]);
  });
});
