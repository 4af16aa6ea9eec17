import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import hawk from 'hawk';
import { type Browser, chromium, type Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from '../../bench/build.js';
import { spawnTicketd, type TicketdProcess } from '../helpers/process.js';

/**
 * The admin console in a real browser: Debian's Chromium driven by
 * playwright-core, against the bundled bin serving the built console.
 * Sign in with the master token, make a tenant, an app (its key shown once)
 * and a profile, revoke a grant, watch the live chart, subscribe a webhook
 * endpoint (its secret shown once) and see its deliveries, read the audit
 * log; a screenshot of each
 * step goes to .vitest-artifacts/console/. Without Chromium the suite is
 * skipped with a message, except under CI=true, where it fails.
 */
const CHROMIUM = process.env.TICKETD_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = join(ROOT, '.vitest-artifacts', 'console');
const MASTER = `console-master-${Date.now().toString(36)}-0123456789abcdef`;
const available = existsSync(CHROMIUM);

if (!available && process.env.CI !== 'true') console.warn(`[console e2e] SKIPPED: no Chromium at ${CHROMIUM}`);

describe.skipIf(!available && process.env.CI !== 'true')('admin console in Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ticketd-console-'));
  let ticketd: TicketdProcess;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${ticketd.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${MASTER}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json().catch(() => null)) as Record<string, unknown> };
  };

  beforeAll(async () => {
    if (!available) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install -y chromium); required under CI`);
    mkdirSync(SHOTS, { recursive: true });
    ensureBuilt('when-stale');
    ticketd = await spawnTicketd({
      store: `sqlite:${join(dir, 'ticketd.db')}`,

      env: { TICKETD_MASTER_TOKEN: MASTER, TICKETD_MULTI_TENANCY: 'true', TICKETD_WEBHOOKS_INTERVAL_MS: '200' },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('dialog', (d) => void d.accept());
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await ticketd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a wrong token, then signs in with the master token', async () => {
    await page.goto(`${ticketd.url}/console/`);
    await page.fill('input[name=token]', 'not-the-master-token');
    await page.click('button[type=submit]');
    await page.waitForSelector('text=That is not a master access token.');
    await page.fill('input[name=token]', MASTER);
    await page.click('button[type=submit]');
    await page.waitForSelector('h2:text("Tenants")');
    expect(await page.textContent('table')).toContain('default');
    await shot('1-tenants');
    // The refused sign-in was a 401 the browser logs; from here on, nothing may go wrong.
    problems.length = 0;
  });

  it('creates a tenant and edits its settings', async () => {
    const create = page.locator('form[data-form="New tenant"]');
    await create.locator('input[name=name]').fill('shop');
    await create.locator('input[name=ticketMax]').fill('1000');
    await create.locator('button[type=submit]').click();
    await page.getByRole('cell', { name: 'shop', exact: true }).waitFor();
    await page.locator('tr', { hasText: 'shop' }).getByRole('button', { name: 'Edit' }).click();
    const settings = page.locator('form[data-form="Settings of shop"]');
    await settings.locator('input[name=lockTime]').fill('120');
    await settings.locator('button[type=submit]').click();
    await page.waitForSelector('text=Tenant shop saved');
    expect((await api('GET', '/admin/v1/tenants/shop')).json).toMatchObject({ ticketMax: 1000, lockTime: 120 });
    await shot('2-tenant');
  });

  let appKey = '';

  it('creates an Oz app and shows its key once; a rotation shows the new one', async () => {
    await page.goto(`${ticketd.url}/console/#apps`);
    const create = page.locator('form[data-form="New app"]');
    await create.locator('input[name=id]').fill('com.example.shop');
    await create.locator('input[name=tenant]').fill('shop');
    await create.locator('input[name=scope]').fill('mylet');
    await create.locator('input[name=extAttributes]').fill('dbs');
    await create.locator('button[type=submit]').click();
    const dialog = page.locator('dialog.once');
    await dialog.waitFor();
    appKey = (await dialog.locator('.secret').textContent()) ?? '';
    expect(appKey.length).toBeGreaterThanOrEqual(32);
    await shot('3-app-key');
    await dialog.getByRole('button', { name: 'I have copied it' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: 'com.example.shop', exact: true }).waitFor();
    // The key is not in the page any more, nor in what the API lists.
    expect(await page.content()).not.toContain(appKey);
    expect(JSON.stringify((await api('GET', '/admin/v1/apps')).json)).not.toContain(appKey);
    // A new key, shown once; the old one no longer signs.
    await page.locator('span[data-app="com.example.shop"]').getByRole('button', { name: 'Rotate key' }).click();
    const rotated = page.locator('dialog.once');
    await rotated.waitFor();
    const newKey = (await rotated.locator('.secret').textContent()) ?? '';
    expect(newKey).not.toBe(appKey);
    await rotated.getByRole('button', { name: 'I have copied it' }).click();
    appKey = newKey;
  });

  it('creates a profile, disables and enables it', async () => {
    await page.goto(`${ticketd.url}/console/#profiles`);
    await page.selectOption('select[name=tenant]', 'shop');
    const create = page.locator('form[data-form="New profile in shop"]');
    await create.locator('input[name=username]').fill('alice');
    await create.locator('input[name=password]').fill('correct horse battery');
    await create.locator('input[name=email]').fill('alice@example.com');
    await create.locator('button[type=submit]').click();
    const row = page.locator('span[data-profile="alice"]');
    await row.getByRole('button', { name: 'Disable' }).click();
    await page.locator('span[data-profile="alice"]').getByRole('button', { name: 'Enable' }).click();
    await page.locator('span[data-profile="alice"]').getByRole('button', { name: 'Disable' }).waitFor();
    await shot('4-profiles');
  });

  it('revokes a grant: the app can no longer reissue its user ticket', async () => {
    // alice signs in (profile surface) and the app exchanges her session for a user ticket (Oz, Hawk-signed).
    const login = await fetch(
      `${ticketd.url}/api/1/authentication/authenticate?${new URLSearchParams({ accessTokenId: MASTER, tenantName: 'shop', username: 'alice', password: 'correct horse battery' })}`,
      { method: 'POST' },
    );
    const session = ((await login.json()) as { id: string }).id;
    const credentials = { id: 'com.example.shop', key: appKey, algorithm: 'sha256' as const };
    const sign = (path: string, creds: typeof credentials, app?: string) =>
      hawk.client.header(`${ticketd.url}${path}`, 'POST', { credentials: creds, ...(app ? { app } : {}) }).header;
    const user = await api('POST', '/v1/ticket', { session }, { authorization: sign('/v1/ticket', credentials) });
    expect(user.status).toBe(200);
    const ticketCreds = { id: user.json.id as string, key: user.json.key as string, algorithm: 'sha256' as const };

    await page.goto(`${ticketd.url}/console/#grants`);
    const revoke = page.locator(`button[data-grant="${user.json.grant as string}"]`);
    await revoke.waitFor();
    await shot('5-grants');
    await revoke.click();
    await page.waitForSelector('text=Grant revoked');
    const reissue = await api('POST', '/v1/ticket/reissue', undefined, {
      authorization: sign('/v1/ticket/reissue', ticketCreds, 'com.example.shop'),
    });
    expect([reissue.status, reissue.json.message]).toEqual([401, 'Invalid grant']);
  });

  it('draws the live chart of the tenant’s tickets', async () => {
    for (let i = 0; i < 5; i++) {
      const created = await api('POST', '/v1/tickets', { uses: 1 }, { project: 'shop' });
      if (i < 3) await api('POST', '/v1/tickets/use', { ticket: created.json.ticket }, { project: 'shop' });
    }
    await page.goto(`${ticketd.url}/console/#activity`);
    const chart = page.locator('svg.chart[data-tenant="shop"]');
    await chart.waitFor();
    expect(await chart.locator('text.legend').allTextContents()).toEqual(['created 5', 'used 3', 'expired 0']);
    expect(await chart.locator('polyline[data-kind="created"]').getAttribute('points')).toMatch(/\d/);
    await shot('6-activity');
  });

  it('subscribes a webhook endpoint: its secret shown once, a delivery signed with it, listed as delivered', async () => {
    const received: { headers: Record<string, string>; body: string }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => {
        received.push({ headers: req.headers as Record<string, string>, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      await page.goto(`${ticketd.url}/console/#webhooks`);
      const create = page.locator('form[data-form="New endpoint"]');
      await create.locator('input[name=url]').fill(url);
      await create.locator('input[name=tenant]').fill('shop');
      await create.locator('input[name=events]').fill('ticket.*');
      await create.locator('button[type=submit]').click();
      const dialog = page.locator('dialog.once');
      await dialog.waitFor();
      const secret = (await dialog.locator('.secret').textContent()) ?? '';
      expect(secret).toMatch(/^whsec_/);
      await shot('7-webhook-secret');
      await dialog.getByRole('button', { name: 'I have copied it' }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.getByRole('cell', { name: url, exact: true }).waitFor();
      expect(await page.content()).not.toContain(secret);

      await api('POST', '/v1/tickets', { uses: 1 }, { project: 'shop' });
      for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(received).toHaveLength(1);
      const event = new Webhook(secret).verify(received[0]?.body ?? '', received[0]?.headers ?? {});
      expect(event).toMatchObject({ type: 'ticket.created', data: { tenant: 'shop' } });

      await page.locator('span[data-webhook]').getByRole('button', { name: 'Deliveries' }).click();
      const deliveries = page.locator('section[data-deliveries]');
      await deliveries.locator('text=delivered').waitFor();
      expect(await deliveries.textContent()).toContain('ticket.created');
      await shot('8-webhook-deliveries');
    } finally {
      receiver.closeAllConnections();
      await new Promise((r) => receiver.close(r));
    }
  });

  it('shows the audit log, filtered by action', async () => {
    await page.goto(`${ticketd.url}/console/#audit`);
    await page.getByRole('cell', { name: 'webhook.create', exact: true }).waitFor();
    const text = (await page.textContent('table')) ?? '';
    for (const action of ['tenant.create', 'tenant.update', 'app.create', 'profile.create', 'grant.revoke']) {
      expect(text).toContain(action);
    }
    const filter = page.locator('form[data-form="Filter"]');
    await filter.locator('input[name=action]').fill('app.rotate-key');
    await filter.locator('button[type=submit]').click();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    expect(await page.textContent('tbody')).toContain('com.example.shop');
    await shot('9-audit');
  });

  it('loaded nothing from elsewhere and logged no error (CSP violations included)', () => {
    expect(problems).toEqual([]);
  });
});
