/**
 * Rotation that revokes (docs/security.md): a rotated keyring still opens
 * what its older keys sealed until they are retired, then nothing of it;
 * app keys move to the current key at start, so retiring the old key ends
 * tickets, not apps; rotating an app key ends its app tickets; a forged
 * ticket with a scope wider than its grant is never reissued.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { Keyring } from '../../src/core/keyring.js';
import { seal, unseal } from '../../src/oz/iron-seal.js';
import { openStore } from '../../src/store/open.js';
import { ok } from '../helpers/fixtures.js';
import { MASTER, startTestTicketd, T0, type TestTicketd } from '../helpers/ticketd.js';
import { appCredentials, post, ticketCredentials, userTicket } from '../oz/support.js';

const dir = mkdtempSync(join(tmpdir(), 'ticketd-rotation-'));
let files = 0;
/** A new store file: every case has its own (its keyring's index key makes the master token's digest). */
const newStore = () => `sqlite:${join(dir, `ticketd-${files++}.db`)}`;
const clock = new ManualClock(T0);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An instance on a SQLite file with this keyring. */
async function start(url: string, keyring: Keyring): Promise<TestTicketd> {
  return startTestTicketd({ store: await openStore(url), keyring, clock });
}

type App = { id: string; key: string; algorithm: string; tenant: string; scope: string[] };

async function createApp(t: TestTicketd, id: string, scope: string[]): Promise<App> {
  const res = await t.server.inject({
    method: 'POST',
    url: '/admin/v1/apps',
    headers: { authorization: `Bearer ${MASTER}` },
    payload: { id, scope },
  });
  return { ...ok<App>(res, 201), tenant: 'default' };
}

const reissue = (t: TestTicketd, ticket: Record<string, unknown>, body?: unknown) =>
  post(t, '/v1/ticket/reissue', ticketCredentials(ticket), body);

describe('keyring rotation', () => {
  it('rotate: old seals still open; app keys move to the new key; retire: old tickets end, apps live on', async () => {
    const url = newStore();
    const first = Keyring.generate();
    let t = await start(url, first);
    const app = await createApp(t, 'com.example.rotating', ['a']);
    const { ticket } = await userTicket(t, app as never);
    await t.stop();

    const rotated = first.rotate();
    t = await start(url, rotated);
    try {
      const stored = await t.store.apps.get(app.id);
      expect(Keyring.sealedWith(stored?.key ?? '')).toBe(rotated.current);
      const again = await reissue(t, ticket);
      expect(again.status, again.text).toBe(200);
    } finally {
      await t.stop();
    }

    const retired = rotated.retire(first.current);
    t = await start(url, retired);
    try {
      const refused = await reissue(t, ticket);
      expect([refused.status, refused.body.message]).toEqual([401, 'Bad ticket']);
      // The app itself lives on: a new user ticket, reissued.
      const fresh = await userTicket(t, app as never);
      expect((await reissue(t, fresh.ticket)).status).toBe(200);
    } finally {
      await t.stop();
    }
  });

  it('rotating an app key ends its app tickets', async () => {
    const t = await start(newStore(), Keyring.generate());
    try {
      const app = await createApp(t, 'com.example.app-ticket', ['a']);
      const appTicket = await post(t, '/oz/app', appCredentials(app as never));
      expect(appTicket.status, appTicket.text).toBe(200);
      expect((await post(t, '/oz/reissue', ticketCredentials(appTicket.body))).status).toBe(200);
      ok(
        await t.server.inject({
          method: 'POST',
          url: `/admin/v1/apps/${app.id}/key`,
          headers: { authorization: `Bearer ${MASTER}` },
          payload: {},
        }),
      );
      const refused = await post(t, '/oz/reissue', ticketCredentials(appTicket.body));
      expect([refused.status, refused.body.message]).toEqual([401, 'Invalid application']);
    } finally {
      await t.stop();
    }
  });

  it('a ticket forged with a scope wider than its grant is never reissued', async () => {
    const keyring = Keyring.generate();
    const t = await start(newStore(), keyring);
    try {
      const app = await createApp(t, 'com.example.narrow', ['a', 'b']);
      const { ticket } = await userTicket(t, app as never);
      const password = keyring.ironPasswords()[keyring.current] as string;
      const opened = unseal(ticket.id as string, { [keyring.current]: password }) as Record<string, unknown>;
      expect(opened.scope).toEqual(['a', 'b']);
      // Narrow the grant as a revocation of scope b would, then forge the ticket back to a, b, c.
      const grant = await t.store.grants.get(opened.grant as string, clock.now());
      expect(grant).not.toBeNull();
      await t.store.grants.create({ ...(grant as NonNullable<typeof grant>), id: `${grant?.id}-n`, scope: ['a'] });
      const forged = { ...opened, grant: `${grant?.id}-n`, scope: ['a', 'b', 'c'] };
      const forgedId = seal(forged, { id: keyring.current, secret: password });
      const res = await reissue(t, { ...ticket, ...forged, id: forgedId });
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('Invalid grant');
    } finally {
      await t.stop();
    }
  });
});
