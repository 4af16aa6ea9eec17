import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FreshStore, freshStore, type ServerBackend, serverUrl } from '../helpers/backends.js';
import { postJson, spawnTicketd, type TicketdProcess } from '../helpers/process.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

/**
 * Store outage (docs/performance.md, "Faults": PostgreSQL or Redis stopped mid-load →
 * ticketd answers 503 with a JSON error, does not exit, and serves again
 * within 2 s of the store's return). A real ticketd process reaches its store
 * through a TCP proxy owned by the test; closing the proxy (every open
 * connection destroyed, no longer listening) is the outage, reopening it on
 * the same port is the store's return. The shared servers are never stopped.
 */
const TITLE = 'store outage';
/** "Well under 2 s": the longest any request may take while the store is away. */
const FAIL_FAST_MS = 1_000;
/** docs/performance.md: serves again within 2 s of the store's return. */
const RECOVERY_MS = 2_000;
const OUTAGES = 2;
const DEFAULT_PORTS: Record<ServerBackend, number> = { postgres: 5432, redis: 6379 };

interface Answer {
  status: number;
  body: Record<string, unknown>;
  ms: number;
}

async function timed(method: 'GET' | 'POST', url: string, body?: unknown): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  const ms = performance.now() - started;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`${method} ${url}: ${res.status} answered non-JSON: ${text.slice(0, 200)}`);
  }
  return { status: res.status, body: parsed, ms };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const backend of ['postgres', 'redis'] as ServerBackend[]) {
  const base = serverUrl(backend, TITLE);
  if (!base) continue;

  describe(`${TITLE} on ${backend}`, () => {
    let proxy: TcpProxy;
    let store: FreshStore;
    let ticketd: TicketdProcess;
    const url = (path: string) => `${ticketd.url}${path}`;

    beforeAll(async () => {
      const target = new URL(base);
      proxy = await TcpProxy.start(target.hostname, Number(target.port || DEFAULT_PORTS[backend]));
      store = freshStore(backend, base);
      // A short purge interval: the background purge also runs into the outage and must not hurt.
      ticketd = await spawnTicketd({ store: proxy.rewrite(store.url), env: { TICKETD_PURGE_INTERVAL_MS: '100' } });
    }, 30_000);

    afterEach((ctx) => {
      if (ctx.task.result?.state === 'fail') console.error(`ticketd output:\n${ticketd?.output().slice(-6000)}`);
    });

    afterAll(async () => {
      await ticketd?.stop('SIGKILL');
      await proxy?.close();
      await store?.cleanup();
    }, 30_000);

    it(`answers 503/2006 fast while the store is away, stays up, and serves again within ${RECOVERY_MS} ms, ${OUTAGES} outages under load`, async () => {
      // A ticket created before any outage, used once in each outage (refused) and after (served).
      const kept = await postJson(url('/v1/tickets'), { uses: 10, ttl: 0, payload: { kept: true } });
      expect(kept.status).toBe(200);
      const ticket = kept.body.ticket as string;
      let usesLeft = 10;

      // Background load: create then use, 6 at a time, through every outage.
      const load: Answer[] = [];
      let loading = true;
      const worker = async () => {
        while (loading) {
          const created = await timed('POST', url('/v1/tickets'), { uses: 1, ttl: 60 });
          load.push(created);
          if (created.status === 200) load.push(await timed('POST', url('/v1/tickets/use'), created.body));
          else await sleep(10);
        }
      };
      const workers = Array.from({ length: 6 }, worker);

      const recoveries: { ping: number; create: number }[] = [];
      try {
        for (let outage = 0; outage < OUTAGES; outage++) {
          await sleep(300);
          expect((await timed('GET', url('/v1/ping'))).status).toBe(200);
          expect((await timed('GET', url('/readyz'))).body).toMatchObject({ status: 'ready', store: backend });

          await proxy.close();
          const down = Date.now();
          // Requests arriving while the store is away: each a JSON 503 with code 2006, quickly.
          while (Date.now() - down < 1_500) {
            const answers = await Promise.all([
              timed('POST', url('/v1/tickets'), { uses: 1 }),
              timed('POST', url('/v1/tickets/use'), { ticket }),
              timed('POST', url('/v1/tickets/peek'), { ticket }),
              timed('POST', url('/v1/tickets/delete'), { ticket }),
            ]);
            for (const a of answers) {
              expect(a.status).toBe(503);
              expect(a.body).toMatchObject({ code: 2006, error: expect.any(String) });
              expect(a.ms).toBeLessThan(FAIL_FAST_MS);
            }
            const ping = await timed('GET', url('/v1/ping'));
            expect(ping.status).toBe(500);
            expect(ping.body).toEqual({ ok: false });
            expect(ping.ms).toBeLessThan(FAIL_FAST_MS);
            // Liveness does not follow the store (an orchestrator must not restart the process); readiness does.
            const [live, ready] = await Promise.all([timed('GET', url('/livez')), timed('GET', url('/readyz'))]);
            expect(live).toMatchObject({ status: 200, body: { status: 'ok' } });
            expect(ready).toMatchObject({ status: 503, body: { status: 'unavailable', reason: 'store unreachable' } });
            expect(ready.ms).toBeLessThan(FAIL_FAST_MS);
            expect(ticketd.child.exitCode).toBeNull();
            await sleep(100);
          }

          // The store returns on the same address; ticketd finds it by itself.
          await proxy.open();
          const up = performance.now();
          let pingAt: number | undefined;
          let createAt: number | undefined;
          while (pingAt === undefined || createAt === undefined) {
            const elapsed = performance.now() - up;
            if (elapsed > 10_000) throw new Error(`not serving ${Math.round(elapsed)} ms after the store returned`);
            const [ping, create] = await Promise.all([
              timed('GET', url('/v1/ping')),
              timed('POST', url('/v1/tickets'), { uses: 1 }),
            ]);
            if (pingAt === undefined && ping.status === 200) pingAt = performance.now() - up;
            if (createAt === undefined && create.status === 200) createAt = performance.now() - up;
            if (create.status !== 200) expect(create.body.code).toBe(2006);
            await sleep(20);
          }
          recoveries.push({ ping: Math.round(pingAt), create: Math.round(createAt) });
          expect((await timed('GET', url('/readyz'))).status).toBe(200);

          // The store kept its state, and the uses refused during the outage were not taken.
          const used = await postJson(url('/v1/tickets/use'), { ticket });
          usesLeft -= 1;
          expect(used).toEqual({ status: 200, body: { uses: usesLeft, payload: { kept: true } } });
        }
      } finally {
        loading = false;
        await Promise.all(workers);
      }

      console.log(`[${TITLE} on ${backend}] recovery after the store returned (ms):`, JSON.stringify(recoveries));
      for (const r of recoveries) {
        expect(r.ping).toBeLessThan(RECOVERY_MS);
        expect(r.create).toBeLessThan(RECOVERY_MS);
      }

      // Under load through every outage: only successes and JSON 503/2006, none hung.
      const statuses = new Map<string, number>();
      for (const a of load) {
        const key = `${a.status}/${String(a.body.code ?? '-')}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
      }
      const summary = JSON.stringify(Object.fromEntries(statuses));
      console.log(`[${TITLE} on ${backend}] load answers: ${summary}`);
      expect(
        [...statuses.keys()].every((k) => k.startsWith('200/') || k === '503/2006'),
        summary,
      ).toBe(true);
      expect(statuses.get('503/2006') ?? 0).toBeGreaterThan(0);
      expect(Math.max(...load.map((a) => a.ms))).toBeLessThan(RECOVERY_MS);

      // Still the same process, and it shuts down cleanly.
      expect(ticketd.child.exitCode).toBeNull();
      expect(ticketd.output()).not.toMatch(/uncaught|unhandled/i);
      expect(await ticketd.stop('SIGTERM')).toBe(0);
    }, 60_000);
  });
}
