/**
 * Failover with nothing lost (docs/operations.md, "Replication and
 * failover"), on servers the test builds itself:
 *
 * - PostgreSQL: a primary with a synchronous standby, ticketd behind a TCP
 *   proxy that stands for a virtual IP. Under create and use load the
 *   primary is killed (SIGKILL), the standby promoted and the proxy moved:
 *   the same ticketd process serves again by itself within 5 s of the
 *   promotion.
 * - Redis Cluster with `wait=1`: under the same load one primary is killed;
 *   its replica takes over; the killed node comes back as its replica.
 *
 * Then, on both: every create answered 200 is there, and no ticket was used
 * more times than it had uses (each is tried once more than that).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startPostgresPair } from '../helpers/postgres-pair.js';
import { spawnTicketd, type TicketdProcess } from '../helpers/process.js';
import { startRedisCluster } from '../helpers/redis-cluster.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const USES = 2;
const WORKERS = 16;

interface Ledger {
  /** Tickets whose create was answered 200, with the uses answered 200. */
  created: Map<string, number>;
  /** Uses answered neither 200 nor 404 (a 503, no answer): they may or may not have happened. */
  uncertain: Map<string, number>;
  /** performance.now() of every 200. */
  oks: number[];
  errors: number;
}

/** Creates and uses tickets from WORKERS loops until `stop()`; each ticket is tried USES + 1 times. */
function load(ticketd: TicketdProcess): { ledger: Ledger; stop: () => Promise<void> } {
  const ledger: Ledger = { created: new Map(), uncertain: new Map(), oks: [], errors: 0 };
  let running = true;
  const post = async (path: string, body: unknown) => {
    try {
      const res = await fetch(`${ticketd.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5000),
      });
      const json = (await res.json()) as Record<string, unknown>;
      if (res.status === 200) ledger.oks.push(performance.now());
      else ledger.errors += 1;
      return { status: res.status, json };
    } catch {
      ledger.errors += 1;
      await new Promise((r) => setTimeout(r, 20));
      return { status: 0, json: {} };
    }
  };
  const worker = async () => {
    for (let i = 0; running && i < 100_000; i++) {
      const created = await post('/v1/tickets', { uses: USES, ttl: 3600 });
      if (created.status !== 200) continue;
      const ticket = created.json.ticket as string;
      ledger.created.set(ticket, 0);
      for (let u = 0; u <= USES && running; u++) {
        const used = await post('/v1/tickets/use', { ticket });
        if (used.status === 200) ledger.created.set(ticket, (ledger.created.get(ticket) ?? 0) + 1);
        else if (used.status !== 404) ledger.uncertain.set(ticket, (ledger.uncertain.get(ticket) ?? 0) + 1);
      }
    }
  };
  const workers = Array.from({ length: WORKERS }, worker);
  return {
    ledger,
    stop: async () => {
      running = false;
      await Promise.all(workers);
    },
  };
}

/** Every ticket answered 200 at create is there with no more uses taken than it had (peek: uses left). */
async function expectNothingLost(ticketd: TicketdProcess, ledger: Ledger): Promise<void> {
  expect(ledger.created.size).toBeGreaterThan(50);
  for (const [ticket, used] of ledger.created) {
    expect(used, `${ticket} used more than ${USES} times`).toBeLessThanOrEqual(USES);
    const res = await fetch(`${ticketd.url}/v1/tickets/peek`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ticket }),
    });
    const body = (await res.json()) as { uses?: number };
    if (used === USES) {
      // Used up by uses answered 200: gone.
      expect(res.status, `${ticket} (used up) still answers: ${JSON.stringify(body)}`).toBe(404);
      continue;
    }
    // A use that answered 503 may have taken the last use.
    if (res.status === 404 && used + (ledger.uncertain.get(ticket) ?? 0) >= USES) continue;
    expect(res.status, `acknowledged ticket ${ticket} is lost: ${JSON.stringify(body)}`).toBe(200);
    expect(body.uses, `${ticket}: uses left + uses answered > uses`).toBeLessThanOrEqual(USES - used);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PostgreSQL failover to a synchronous standby behind a moved virtual IP', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  }, 60_000);

  it('serves again within 5 s of the promotion; every acknowledged create and use holds', async () => {
    const pair = await startPostgresPair(process.env.TICKETD_TEST_FAILOVER_SYNC !== '0');
    cleanups.push(() => pair.stop());
    const proxy = await TcpProxy.start('127.0.0.1', pair.primaryPort);
    cleanups.push(() => proxy.close());
    const ticketd = await spawnTicketd({
      store: `postgres://postgres@127.0.0.1:${proxy.listenPort}/postgres?schema=failover`,
      discardStdout: true,
    });
    cleanups.push(async () => void (await ticketd.stop('SIGKILL')));

    const { ledger, stop } = load(ticketd);
    await sleep(2000);
    // The standby lags (its receiver stopped, its link cut) while load goes
    // on, then the primary dies: without synchronous replication what the
    // primary committed meanwhile is lost.
    await pair.cutReplication();
    await sleep(700);
    pair.killPrimary();
    pair.resumeStandby();
    await pair.promote();
    const promoted = performance.now();
    proxy.retarget('127.0.0.1', pair.standbyPort);
    await sleep(4000);
    await stop();

    const firstOkAfter = ledger.oks.find((t) => t > promoted);
    expect(firstOkAfter, 'no answer after the promotion').toBeDefined();
    expect((firstOkAfter as number) - promoted).toBeLessThan(5000);
    await expectNothingLost(ticketd, ledger);
  }, 120_000);
});

describe('Redis Cluster failover with wait=1', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  }, 60_000);

  it('a primary killed under load: its replica takes over and no acknowledged create or use is lost', async () => {
    const cluster = await startRedisCluster();
    cleanups.push(() => cluster.stop());
    const ticketd = await spawnTicketd({
      store: `${cluster.seeds}/?prefix=failover:&wait=${process.env.TICKETD_TEST_FAILOVER_WAIT ?? '1'}`,
      discardStdout: true,
    });
    cleanups.push(async () => void (await ticketd.stop('SIGKILL')));

    const { ledger, stop } = load(ticketd);
    await sleep(2000);
    const [victim] = (await cluster.primaries()) as [number];
    // The replica lags (stopped) while writes go on, then the primary dies:
    // without wait=1 what the primary acknowledged meanwhile is lost.
    const replica = await cluster.replicaOf(victim);
    await cluster.cutReplication(victim, replica);
    await sleep(700);
    cluster.kill(victim);
    cluster.resume(replica);
    await cluster.waitForFailover(replica);
    // The promoted replica has no replica of its own: with wait=1 its writes
    // answer 503 until the old primary is back, as its replica.
    await cluster.restart(victim);
    const recovered = performance.now();
    await sleep(3000);
    await stop();

    const afterFailover = ledger.oks.filter((t) => t > recovered).length;
    expect(afterFailover, 'no answer after the failover').toBeGreaterThan(0);
    await expectNothingLost(ticketd, ledger);
  }, 120_000);
});
