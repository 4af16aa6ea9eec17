import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { parseListen } from './config/load.js';
import type { Config } from './config/schema.js';
import { Activity } from './core/activity.js';
import { type Clock, systemClock } from './core/clock.js';
import { Events } from './core/events.js';
import { createIdentity, type Identity, type IdentityOptions } from './core/identity.js';
import { Purger } from './core/purge.js';
import { Tenants } from './core/tenants.js';
import { consoleDir } from './http/console.js';
import { Metrics } from './http/metrics.js';
import { buildServer } from './http/server.js';
import { OzAdmin } from './oz/admin.js';
import { createOzSurface, type OzSurface } from './oz/context.js';
import { openStore, redactUrl } from './store/open.js';
import type { Store } from './store/types.js';
import { TicketService } from './tickets/service.js';
import { VERSION } from './version.js';

/** Everything a running ticketd is made of. */
export interface Ticketd {
  config: Config;
  store: Store;
  tenants: Tenants;
  /** Access tokens, tenants, profiles and logins. */
  identity: Identity;
  events: Events;
  purger: Purger;
  server: FastifyInstance;
  logger: Logger;
  /** Stops accepting, finishes in-flight requests, stops the purge, closes the store. */
  close(): Promise<void>;
}

export interface WireOptions {
  clock?: Clock;
  logger?: Logger;
  /** Use this store instead of opening `config.store` (tests). */
  store?: Store;
  /** Password hashing cost and lockout sleep of the profile surface (tests make them cheap and instant). */
  identity?: IdentityOptions;
  /** Where the master token generated on a first start is printed once (default: stdout). */
  print?: (line: string) => void;
}

/** The one place that turns a config into a store, services and a server. */
export async function createTicketd(config: Config, options: WireOptions = {}): Promise<Ticketd> {
  const clock = options.clock ?? systemClock;
  const logger =
    options.logger ??
    pino(
      { level: config.log_level, base: { service: 'ticketd' } },
      pino.destination({ dest: 1, sync: false, minLength: 4096 }),
    );
  if (config.store.startsWith('memory:')) {
    logger.warn('memory store: every ticket is lost when this process stops; use it for tests and demos only');
  }
  const store = options.store ?? (await openStore(config.store));
  if (config.migrate_on_start) await store.migrate();

  const events = new Events();
  const tenants = new Tenants(store.tenants, clock);
  await tenants.ensureDefault();
  for (const [name, settings] of Object.entries(config.tenants)) await tenants.put(name, settings);

  const identity = createIdentity(store, tenants, clock, events, options.identity);
  const boot = await identity.accessTokens.ensureMasterToken(config.master_token);
  if (boot.generated) {
    const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
    print(`ticketd: master access token (printed this once; keep it safe): ${boot.generated}`);
  }
  if (boot.configuredIgnored) logger.warn('master_token is ignored: this store already has a master token');

  // Oz user tickets (docs/oz.md).
  let oz: OzSurface;
  try {
    oz = await createOzSurface(config.oz, store, identity.logins, clock, events);
  } catch (err) {
    if (!options.store) await store.close();
    throw err;
  }
  // Ending every session of a profile (disabled, deleted, new password) revokes its grants.
  events.on('profile.sessions_ended', (e) => {
    store.grants.deleteOfUser(e.profileId).catch((err) => logger.warn({ err }, 'revoking grants failed'));
  });

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
    consoleDir: consoleFiles,
    tickets: {
      service: new TicketService(store.tickets, clock, events),
      tenants,
      multiTenancy: config.multi_tenancy,
      auth: config.tickets.require_token ? identity.accessTokens : undefined,
    },
    profile: { identity },
    admin: { identity, oz: new OzAdmin(store, clock), activity },
    oz,
  });

  const purger = new Purger(
    store,
    clock,
    events,
    { intervalMs: config.purge.interval_ms, batch: config.purge.batch, maxBatches: config.purge.max_batches },
    (err) => logger.warn({ err }, 'purge failed'),
  );

  let closing: Promise<void> | undefined;
  return {
    config,
    store,
    tenants,
    identity,
    events,
    purger,
    server,
    logger,
    close: () => {
      closing ??= (async () => {
        await server.close();
        await purger.stop();
        await store.close();
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
  t.logger.info({ listen: config.listen, store: redactUrl(config.store), version: VERSION }, 'ticketd listening');
  return t;
}
