import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  apiCreateProfile,
  authenticate,
  expectProfileError,
  ok,
  type PersistentLoginJson,
  startTestTicketd,
  type TestTicketd,
  type TicketJson,
} from './support.js';

/** Disabling or deleting a profile, or changing its password, ends its sessions (docs/profile.md). */
describe('invalidation of sessions', () => {
  let t: TestTicketd;
  const ended: { profileId: string; reason: string }[] = [];

  beforeAll(async () => {
    t = await startTestTicketd();
    t.events.on('profile.sessions_ended', (e) => ended.push(e));
  });
  afterAll(async () => {
    await t.stop();
  });

  /** A profile with two login tickets and a persistent login; plus a bystander with one of each. */
  async function sessions() {
    const p = await apiCreateProfile(t);
    const other = await apiCreateProfile(t);
    const tickets = [
      ok<TicketJson>(await authenticate(t, p.username, p.password)),
      ok<TicketJson>(await api(t, 'POST', '/authentication/ticket/create', { profileId: p.id })),
    ];
    const login = ok<PersistentLoginJson>(
      await api(t, 'POST', '/authentication/persistent_login/create', { profileId: p.id }),
    );
    const otherTicket = ok<TicketJson>(await authenticate(t, other.username, other.password));
    const otherLogin = ok<PersistentLoginJson>(
      await api(t, 'POST', '/authentication/persistent_login/create', { profileId: other.id }),
    );
    return { p, tickets, login, otherTicket, otherLogin };
  }

  async function expectEnded(s: Awaited<ReturnType<typeof sessions>>) {
    for (const ticket of s.tickets) {
      expectProfileError(await api(t, 'GET', `/authentication/ticket/${ticket.id}`), 404, 'NO_SUCH_TICKET');
      expectProfileError(await api(t, 'GET', '/profile/by_ticket', { ticketId: ticket.id }), 400, 'NO_SUCH_TICKET');
    }
    expectProfileError(
      await api(t, 'GET', `/authentication/persistent_login/${s.login.id}`),
      404,
      'NO_SUCH_PERSISTENT_LOGIN',
    );
    // Nobody else's sessions end.
    ok(await api(t, 'GET', `/authentication/ticket/${s.otherTicket.id}`));
    ok(await api(t, 'GET', `/authentication/persistent_login/${s.otherLogin.id}`));
  }

  it('disable', async () => {
    const s = await sessions();
    ok(await api(t, 'POST', `/profile/${s.p.id}/disable`));
    await expectEnded(s);
    expect(ended.at(-1)).toMatchObject({ profileId: s.p.id, reason: 'disabled' });
    // Enabling again does not bring them back.
    ok(await api(t, 'POST', `/profile/${s.p.id}/enable`));
    expectProfileError(await api(t, 'GET', `/authentication/ticket/${s.tickets[0]?.id}`), 404, 'NO_SUCH_TICKET');
  });

  it('update with enabled=false', async () => {
    const s = await sessions();
    ok(await api(t, 'POST', `/profile/${s.p.id}/update`, { enabled: false }));
    await expectEnded(s);
  });

  it('delete', async () => {
    const s = await sessions();
    ok(await api(t, 'POST', `/profile/${s.p.id}/delete`));
    await expectEnded(s);
    expect(ended.at(-1)).toMatchObject({ profileId: s.p.id, reason: 'deleted' });
  });

  it('change_password', async () => {
    const s = await sessions();
    ok(await api(t, 'POST', `/profile/${s.p.id}/change_password`, { newPassword: 'changed' }));
    await expectEnded(s);
    expect(ended.at(-1)).toMatchObject({ profileId: s.p.id, reason: 'password_changed' });
    ok(await authenticate(t, s.p.username, 'changed'));
  });

  it('update with a new password', async () => {
    const s = await sessions();
    ok(await api(t, 'POST', `/profile/${s.p.id}/update`, { password: 'changed-too' }));
    await expectEnded(s);
  });

  it('other updates keep the sessions', async () => {
    const s = await sessions();
    ok(await api(t, 'POST', `/profile/${s.p.id}/update`, { email: 'kept@example.com', role: 'X' }));
    ok(await api(t, 'POST', `/profile/${s.p.id}/enable`));
    for (const ticket of s.tickets) ok(await api(t, 'GET', `/authentication/ticket/${ticket.id}`));
    ok(await api(t, 'GET', `/authentication/persistent_login/${s.login.id}`));
  });

  it('a ticket opened while the profile is being disabled does not survive it', async () => {
    for (let round = 0; round < 5; round++) {
      const p = await apiCreateProfile(t);
      const [auth, created] = await Promise.all([
        authenticate(t, p.username, p.password),
        api(t, 'POST', '/authentication/ticket/create', { profileId: p.id }),
        api(t, 'POST', `/profile/${p.id}/disable`),
      ]);
      for (const res of [auth, created]) {
        if (res.statusCode !== 200) continue;
        const { id } = res.json() as TicketJson;
        expectProfileError(await api(t, 'GET', `/authentication/ticket/${id}`), 404, 'NO_SUCH_TICKET');
      }
    }
  });
});
