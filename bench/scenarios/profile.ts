/**
 * Profile-surface scenarios (issue 4):
 * - `profile-get`: GET /api/1/authentication/ticket/{id} (each look-up slides
 *   the login ticket's life: a store write) over many live login tickets, made
 *   before the timed run with POST /api/1/authentication/ticket/create.
 * - the side load of `use-under-logins`: 20 authenticates per second with the
 *   right password (scrypt hashing) while the ticket use scenario runs.
 */
import type { RequestSpec } from 'autocannon';
import { BENCH_MASTER_TOKEN, call, createProfile, inParallel } from './api.js';

export interface ProfileFixture {
  username: string;
  profileId: string;
  loginTickets: string[];
}

export async function setupProfileGet(base: string, tickets: number, tag: string): Promise<ProfileFixture> {
  const username = `bench-${tag}`;
  const profileId = await createProfile(base, username);
  const loginTickets = await inParallel(tickets, 32, async () => {
    const { json } = await call(base, 'POST', '/api/1/authentication/ticket/create', {
      form: { accessTokenId: BENCH_MASTER_TOKEN, profileId },
    });
    return (json as { id: string }).id;
  });
  return { username, profileId, loginTickets };
}

/** Each request looks up the next login ticket, round and round. */
export function profileGetRequests(tickets: string[]): () => RequestSpec[] {
  let next = 0;
  const query = `?accessTokenId=${encodeURIComponent(BENCH_MASTER_TOKEN)}`;
  return () => [
    {
      method: 'GET',
      setupRequest: (req) => {
        req.path = `/api/1/authentication/ticket/${tickets[next++ % tickets.length]}${query}`;
        return req;
      },
    },
  ];
}

export interface SideLoad {
  /** Stops sending and waits for the logins in flight; returns what happened. */
  stop(): Promise<{ sent: number; ok: number; failed: number; statuses: Record<string, number> }>;
}

/** `perSecond` authenticates a second, evenly spaced, each with the right password. */
export function startLogins(base: string, username: string, perSecond: number): SideLoad {
  const inFlight = new Set<Promise<void>>();
  const statuses: Record<string, number> = {};
  let sent = 0;
  let ok = 0;
  let failed = 0;
  const body = new URLSearchParams({
    accessTokenId: BENCH_MASTER_TOKEN,
    tenantName: 'default',
    username,
    password: 'correct horse battery staple',
  }).toString();
  const one = async () => {
    try {
      const res = await fetch(`${base}/api/1/authentication/authenticate`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      await res.arrayBuffer();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (res.ok) ok++;
      else failed++;
    } catch {
      failed++;
      statuses.error = (statuses.error ?? 0) + 1;
    }
  };
  const started = performance.now();
  const tick = () => {
    // Catch up to the schedule (timers run late under load): one login per 1/perSecond s.
    const due = Math.floor(((performance.now() - started) / 1000) * perSecond) + 1;
    while (sent < due) {
      sent++;
      const p = one().finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  };
  tick();
  const timer = setInterval(tick, Math.max(1, Math.floor(1000 / perSecond / 2)));
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
      return { sent, ok, failed, statuses };
    },
  };
}
