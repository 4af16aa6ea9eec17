import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../core/clock.js';
import type { DeliveryRecord, Route, Settlement, Store, WebhookEndpointRecord } from '../store/types.js';
import { expandEventTypes } from './catalog.js';
import type { WebhookEndpoints } from './endpoints.js';
import { signWebhook } from './signature.js';
import type { Subscriptions } from './subscriptions.js';

export interface DeliveryOptions {
  /** How often an instance looks for events and due deliveries. */
  intervalMs: number;
  /** Events fanned out and deliveries claimed per store call. */
  batch: number;
  /** How long an attempt may take (connect, send, answer). */
  timeoutMs: number;
  /** Requests in flight at once, per instance. */
  concurrency: number;
  /** A delivery that has not succeeded this long after it was made is marked failed. */
  giveUpAfterMs: number;
  /** Delivered and failed deliveries stay visible (admin) this long, then the purge removes them. */
  retentionMs: number;
  /** The User-Agent of deliveries. */
  userAgent: string;
}

export const DEFAULT_DELIVERY: Omit<DeliveryOptions, 'userAgent'> = {
  intervalMs: 1_000,
  batch: 100,
  timeoutMs: 10_000,
  concurrency: 16,
  giveUpAfterMs: 24 * 60 * 60 * 1000,
  retentionMs: 24 * 60 * 60 * 1000,
};

/**
 * Deliveries yield to requests: when the event loop was at least this busy
 * between two rounds (serving requests: no round runs then), the next round
 * makes one store call of each kind instead of up to ten (docs/events.md).
 */
export const BUSY_UTILIZATION = 0.8;
/** Rounds made while busy: at most one batch fanned out and one claimed. */
const BUSY_CALLS = 1;
/** Calls of each kind per round otherwise. */
const CALLS = 10;
/** The shortest pause between two rounds: how busy the loop is can only be read between them. */
const MIN_GAP_MS = 100;

/** The first retries, after the first, second and third failed attempt (docs/events.md). */
const FIRST_RETRIES_MS = [1_000, 5_000, 30_000];
/** Later retries double from the last first one, up to this. */
const MAX_RETRY_MS = 60 * 60 * 1000;
/** Delays vary by up to this share either way, so that endpoints coming back are not hit in step. */
const JITTER = 0.2;

/** The delay before the next attempt, after `attempts` failed ones. */
export function retryDelay(attempts: number, random: () => number = Math.random): number {
  const i = Math.max(1, attempts) - 1;
  const base =
    i < FIRST_RETRIES_MS.length
      ? (FIRST_RETRIES_MS[i] as number)
      : Math.min(MAX_RETRY_MS, 30_000 * 2 ** (i - FIRST_RETRIES_MS.length + 1));
  return Math.round(base * (1 + JITTER * (2 * random() - 1)));
}

/** What the receiver's answer (or its absence) makes of an attempt. */
function outcome(
  d: DeliveryRecord,
  now: number,
  o: DeliveryOptions,
  lastStatus: number | null,
  error: string | null,
): Settlement {
  if (error === null) return { status: 'delivered', nextAt: now, lastStatus, lastError: null };
  if (now - d.createdAt >= o.giveUpAfterMs) return { status: 'failed', nextAt: now, lastStatus, lastError: error };
  return { status: 'pending', nextAt: now + retryDelay(d.attempts), lastStatus, lastError: error };
}

/**
 * Delivers the outbox (docs/events.md), outside every request: each round
 * fans new events out to the endpoints subscribed now, claims due
 * deliveries (a lease: no other instance takes one meanwhile), POSTs each
 * signed per Standard Webhooks, and settles it — delivered on a 2xx, else
 * retried after 1 s, 5 s, 30 s, then doubling up to an hour (±20%), until
 * it is a day old and marked failed. A receiver that is slow or down costs
 * this loop's time, never a request's. Every instance runs it.
 */
export class Deliverer {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private stopped = false;
  private lastPurge = 0;
  private readonly inFlight = new Set<AbortController>();
  /** The signing secrets of the endpoints delivered to this round. */
  private readonly secrets = new Map<string, string[]>();
  /** One keep-alive pool per scheme, as large as the attempts in flight. */
  private readonly agents;

  constructor(
    private readonly store: Pick<Store, 'outbox'>,
    private readonly endpoints: WebhookEndpoints,
    private readonly subscriptions: Subscriptions,
    private readonly clock: Clock,
    private readonly options: DeliveryOptions,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    const pool = { keepAlive: true, maxSockets: options.concurrency };
    this.agents = { http: new HttpAgent(pool), https: new HttpsAgent(pool) };
  }

  /**
   * Runs a round every `intervalMs` (the next one no sooner than MIN_GAP_MS
   * after the last ended), told whether the loop was busy in between.
   */
  start(): void {
    let since = performance.eventLoopUtilization();
    const tick = () => {
      if (this.stopped) return;
      const busy = performance.eventLoopUtilization(since).utilization >= BUSY_UTILIZATION;
      const started = performance.now();
      this.round = this.runOnce({ busy })
        .then(() => undefined, this.onError)
        .finally(() => {
          this.round = undefined;
          since = performance.eventLoopUtilization();
          if (this.stopped) return;
          const wait = Math.max(MIN_GAP_MS, this.options.intervalMs - (performance.now() - started));
          this.timer = setTimeout(tick, wait);
          this.timer.unref();
        });
    };
    tick();
  }

  /** Stops: no new round, attempts in flight are aborted (they are retried by whoever claims them next). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const c of this.inFlight) c.abort();
    await this.round;
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  /**
   * One round: fan out, deliver what is due, purge what is old. Answers how
   * many attempts it made. `busy`: requests kept the loop busy since the last
   * round, so this one does little (BUSY_CALLS); what waits stays in the
   * outbox for the rounds after the load.
   */
  async runOnce({ busy = false }: { busy?: boolean } = {}): Promise<number> {
    // Also how this instance learns of endpoints changed on the others.
    const all = await this.subscriptions.refresh();
    // No endpoint, no event: events are only written for subscribed endpoints (docs/events.md).
    // Those written before the last endpoint went are dropped once a minute, when the purge runs.
    if (all.length === 0) {
      const now = this.clock.now();
      if (now - this.lastPurge >= 60_000) {
        this.lastPurge = now;
        await this.store.outbox.fanOut(this.options.batch, [], now);
      }
      return 0;
    }
    const byId = new Map(all.map((e) => [e.id, e]));
    // Each endpoint's secrets are opened once a round, not once a delivery.
    this.secrets.clear();
    const routes: Route[] = all
      .filter((e) => e.enabled)
      .flatMap((e) => expandEventTypes(e.events).map((type) => ({ endpointId: e.id, tenant: e.tenant, type })));
    const { batch } = this.options;
    const calls = busy ? BUSY_CALLS : CALLS;
    // Bounded: a burst of events is fanned out over several rounds.
    for (let i = 0; i < calls && !this.stopped; i++) {
      if ((await this.store.outbox.fanOut(batch, routes, this.clock.now())) < batch) break;
    }
    let attempts = 0;
    for (let i = 0; i < calls && !this.stopped; i++) {
      const now = this.clock.now();
      const due = await this.store.outbox.claim(batch, now, this.options.timeoutMs * 2);
      attempts += due.length;
      await this.deliverAll(due, byId);
      if (due.length < batch) break;
    }
    const now = this.clock.now();
    if (now - this.lastPurge >= 60_000) {
      this.lastPurge = now;
      await this.store.outbox.purge(now - this.options.retentionMs, 1000);
    }
    return attempts;
  }

  private async deliverAll(due: DeliveryRecord[], byId: Map<string, WebhookEndpointRecord>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < due.length && !this.stopped) {
        const d = due[next++] as DeliveryRecord;
        await this.deliver(d, byId.get(d.endpointId)).catch(this.onError);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, due.length) }, worker));
  }

  private async deliver(d: DeliveryRecord, endpoint: WebhookEndpointRecord | undefined): Promise<void> {
    if (!endpoint?.enabled) {
      const why = endpoint ? 'endpoint disabled' : 'endpoint deleted';
      await this.store.outbox.settle(
        d,
        { status: 'failed', nextAt: this.clock.now(), lastStatus: null, lastError: why },
        this.clock.now(),
      );
      return;
    }
    const [status, error] = await this.post(d, endpoint);
    const now = this.clock.now();
    await this.store.outbox.settle(d, outcome(d, now, this.options, status, error), now);
  }

  private secretsOf(e: WebhookEndpointRecord): string[] {
    let secrets = this.secrets.get(e.id);
    if (!secrets) {
      secrets = this.endpoints.signingSecrets(e);
      this.secrets.set(e.id, secrets);
    }
    return secrets;
  }

  /**
   * One POST: [HTTP status or null, null when delivered or why not]. Throws
   * only before sending (an endpoint's secret that no longer opens); the
   * claim then runs out and the delivery is tried again.
   */
  private post(d: DeliveryRecord, e: WebhookEndpointRecord): Promise<[number | null, string | null]> {
    const url = new URL(e.url);
    const body = Buffer.from(d.body, 'utf8');
    const headers = {
      ...signWebhook(this.secretsOf(e), d.eventId, Math.floor(this.clock.now() / 1000), d.body),
      'content-type': 'application/json',
      'content-length': String(body.length),
      'user-agent': this.options.userAgent,
    };
    const controller = new AbortController();
    this.inFlight.add(controller);
    return new Promise<[number | null, string | null]>((resolve) => {
      let settled = false;
      const done = (answer: [number | null, string | null]) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.inFlight.delete(controller);
        resolve(answer);
      };
      const timer = setTimeout(() => controller.abort(), this.options.timeoutMs);
      // node:http with keep-alive agents: a fraction of fetch's CPU and memory per delivery.
      const https = url.protocol === 'https:';
      const req = (https ? httpsRequest : httpRequest)(url, {
        method: 'POST',
        headers,
        agent: https ? this.agents.https : this.agents.http,
        signal: controller.signal,
      });
      req.on('response', (res) => {
        // The answer's body is not kept: a receiver may echo anything.
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          done(status >= 200 && status < 300 ? [status, null] : [status, `HTTP ${status}`]);
        });
        res.on('error', () => done([res.statusCode ?? null, 'answer cut short']));
        // An answer cut by the timeout may end without 'end' or 'error': the attempt still ends.
        res.on('close', () =>
          done([res.statusCode ?? null, controller.signal.aborted ? 'timed out' : 'answer cut short']),
        );
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (controller.signal.aborted) done([null, this.stopped ? 'shutting down' : 'timed out']);
        else done([null, err.code ? `no answer (${err.code})` : 'no answer']);
      });
      req.end(body);
    });
  }
}
