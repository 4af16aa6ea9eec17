import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { openKeyring } from './config/keyring.js';
import { parseListen } from './config/load.js';
import type { Config } from './config/schema.js';
import { Activity } from './core/activity.js';
import { AuditLog } from './core/audit.js';
import { type Clock, systemClock } from './core/clock.js';
import { Events } from './core/events.js';
import { createIdentity, type Identity, type IdentityOptions } from './core/identity.js';
import type { Keyring } from './core/keyring.js';
import type { Passwords } from './core/passwords.js';
import { Purger } from './core/purge.js';
import { Tenants } from './core/tenants.js';
import { consoleDir } from './http/console.js';
import { Metrics } from './http/metrics.js';
import { buildServer } from './http/server.js';
import { TokenIntrospection } from './oauth/introspection.js';
import type { OAuthSurface } from './oauth/plugin.js';
import { OzAdmin } from './oz/admin.js';
import { sealAppKeys } from './oz/app-keys.js';
import { createOzSurface, type OzSurface } from './oz/context.js';
import { openStore, redactUrl } from './store/open.js';
import type { Store } from './store/types.js';
import { type Tracing, traced, tracedStore } from './telemetry/tracing.js';
import { TicketService } from './tickets/service.js';
import { VERSION } from './version.js';
import { DEFAULT_DELIVERY, Deliverer } from './webhooks/delivery.js';
import { WebhookEndpoints } from './webhooks/endpoints.js';
import { Subscriptions } from './webhooks/subscriptions.js';

/** Everything a running ticketd is made of. */
export interface Ticketd {
  config: Config;
  store: Store;
  keyring: Keyring;
  tenants: Tenants;
  /** Access tokens, tenants, profiles and logins. */
  identity: Identity;
  events: Events;
  purger: Purger;
  /** Delivers the webhook outbox (docs/events.md); started with the server. */
  deliverer: Deliverer;
  server: FastifyInstance;
  logger: Logger;
  /**
   * Stops accepting, lets in-flight requests finish for at most
   * `http.shutdown_timeout_ms`, stops the purge and webhook delivery, closes the store.
   */
  close(): Promise<void>;
}

export interface WireOptions {
  clock?: Clock;
  logger?: Logger;
  /** Use this store instead of opening `config.store` (tests). */
  store?: Store;
  /** Use this keyring instead of the configured one (tests). */
  keyring?: Keyring;
  /** Password hashing cost and lockout sleep of the profile surface (tests make them cheap and instant). */
  identity?: IdentityOptions;
  /** Where the master token generated on a first start is printed once (default: stderr, never the log stream). */
  print?: (line: string) => void;
  /** OpenTelemetry traces (src/telemetry/tracing.ts); none without it. */
  tracing?: Tracing | undefined;
}

/** The one place that turns a config into a store, services and a server. */
export async function createTicketd(config: Config, options: WireOptions = {}): Promise<Ticketd> {
  const clock = options.clock ?? systemClock;
  // Lines are written in batches of 4 KB (fewer writes under load) and at
  // least every second, so that a quiet server's log is never behind.
  let flushTimer: NodeJS.Timeout | undefined;
  let logger = options.logger;
  if (!logger) {
    const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
    logger = pino({ level: config.log_level, base: { service: 'ticketd' } }, destination);
    flushTimer = setInterval(() => destination.flush(), 1000);
    flushTimer.unref();
  }
  if (config.store.startsWith('memory:')) {
    logger.warn('memory store: every ticket is lost when this process stops; use it for tests and demos only');
  }
  const opened = options.keyring ? { keyring: options.keyring, created: null } : openKeyring(config);
  const { keyring } = opened;
  if (opened.created) logger.warn({ keyring: opened.created }, 'made a new keyring: keep it safe and back it up');
  const { tracing } = options;
  const raw = options.store ?? (await openStore(config.store));
  if (config.migrate_on_start) await raw.migrate();
  // Tracing on: every store call a span; off: the store itself, nothing in between.
  const store = tracing ? tracedStore(tracing.tracer, raw) : raw;
  const sealed = await sealAppKeys(store.apps, keyring);
  if (sealed > 0) logger.info({ apps: sealed }, 'sealed Oz app keys under the current keyring key');

  const events = new Events();
  const tenants = new Tenants(store.tenants, clock);
  await tenants.ensureDefault();
  for (const [name, settings] of Object.entries(config.tenants)) await tenants.put(name, settings);

  // Webhooks (docs/events.md): which changes raise events, read once before the first request.
  const subscriptions = new Subscriptions(store);
  // A store not yet migrated (migrate_on_start off) has none to read: the delivery rounds read again.
  await subscriptions.refresh().catch((err: unknown) => logger.warn({ err }, 'webhook endpoints not read'));
  const identity = createIdentity(store, keyring, tenants, clock, events, {
    ...options.identity,
    subscriptions,
    ...(tracing ? { instrumentPasswords: (p: Passwords) => traced(tracing.tracer, p, 'password ', {}) } : {}),
  });
  const boot = await identity.accessTokens.ensureMasterToken(config.master_token);
  if (boot.generated) {
    const print = options.print ?? ((line: string) => process.stderr.write(`${line}\n`));
    print(`ticketd: master access token (printed this once; keep it safe): ${boot.generated}`);
  }
  if (boot.configuredIgnored) logger.warn('master_token is ignored: this store already has a master token');

  // Oz user tickets (docs/oz.md).
  let oz: OzSurface;
  try {
    oz = await createOzSurface(config.oz, store, keyring, identity.logins, clock, events, subscriptions);
  } catch (err) {
    if (!options.store) await store.close();
    throw err;
  }
  // Ending every session of a profile (disabled, deleted, new password) revokes its grants.
  events.on('profile.sessions_ended', (e) => {
    store.grants.deleteOfUser(e.profileId).catch((err) => logger.warn({ err }, 'revoking grants failed'));
  });

  const webhooks = new WebhookEndpoints(store, keyring, clock, subscriptions);
  const audit = new AuditLog(store, clock, subscriptions);
  const ticketService = new TicketService(store.tickets, clock, events, subscriptions);
  const ozAdmin = new OzAdmin(store, keyring, clock, subscriptions);
  const issuer = (config.public_url ?? `http://${config.listen}`).replace(/\/+$/, '');
  const oauth: OAuthSurface = {
    introspection: new TokenIntrospection({
      store,
      identity,
      tickets: ticketService,
      oz: oz.service,
      ozAdmin,
      clock,
      issuer,
    }),
    accessTokens: identity.accessTokens,
    issuer,
  };

  const consoleFiles = consoleDir();
  if (!consoleFiles) logger.warn('the admin console is not built (npm run build): /console answers 404');
  const metrics = new Metrics(events);
  const activity = new Activity(events, clock);
  const server = await buildServer({
    store,
    tenants,
    clock,
    metrics,
    logger,
    version: VERSION,
    bodyLimit: config.body_limit,
    http: {
      headersTimeoutMs: config.http.headers_timeout_ms,
      requestTimeoutMs: config.http.request_timeout_ms,
      keepAliveTimeoutMs: config.http.keep_alive_timeout_ms,
      trustedProxies: config.http.trusted_proxies,
    },
    consoleDir: consoleFiles,
    tracing: tracing?.fastify,
    tickets: {
      service: ticketService,
      tenants,
      multiTenancy: config.multi_tenancy,
      auth: config.tickets.require_token ? identity.accessTokens : undefined,
    },
    profile: { identity, audit },
    admin: {
      identity,
      oz: ozAdmin,
      webhooks,
      activity,
      audit,
    },
    oz,
    oauth,
  });

  const purger = new Purger(
    store,
    clock,
    events,
    { intervalMs: config.purge.interval_ms, batch: config.purge.batch, maxBatches: config.purge.max_batches },
    (err) => logger.warn({ err }, 'purge failed'),
    subscriptions,
  );

  const deliverer = new Deliverer(
    store,
    webhooks,
    subscriptions,
    clock,
    {
      ...DEFAULT_DELIVERY,
      intervalMs: config.webhooks.interval_ms,
      timeoutMs: config.webhooks.timeout_ms,
      concurrency: config.webhooks.concurrency,
      userAgent: `ticketd/${VERSION}`,
    },
    (err) => logger.warn({ err }, 'webhook delivery failed'),
  );

  let closing: Promise<void> | undefined;
  return {
    config,
    store,
    keyring,
    tenants,
    identity,
    events,
    purger,
    deliverer,
    server,
    logger,
    close: () => {
      closing ??= (async () => {
        // In-flight requests may finish within the drain time; then every
        // connection still open (a client that stalls, a slow store) is cut.
        const drain = setTimeout(() => server.server.closeAllConnections(), config.http.shutdown_timeout_ms);
        try {
          await server.close();
        } finally {
          clearTimeout(drain);
        }
        await purger.stop();
        await deliverer.stop();
        await store.close();
        await tracing?.shutdown();
        clearInterval(flushTimer);
        logger.flush();
      })();
      return closing;
    },
  };
}

/** Creates ticketd, listens, starts the purge; returns once it answers. */
export async function startTicketd(config: Config, options: WireOptions = {}): Promise<Ticketd> {
  const t = await createTicketd(config, options);
  const { host, port } = parseListen(config.listen);
  await t.server.listen({ host, port });
  t.purger.start();
  t.deliverer.start();
  t.logger.info({ listen: config.listen, store: redactUrl(config.store), version: VERSION }, 'ticketd listening');
  return t;
}
