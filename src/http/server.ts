import { randomUUID } from 'node:crypto';
import SerializerSelector from '@fastify/fast-json-stringify-compiler';
import type { FastifyOtelInstrumentation } from '@fastify/otel';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { type AdminSurface, adminPlugin } from '../admin/plugin.js';
import type { Clock } from '../core/clock.js';
import type { Tenants } from '../core/tenants.js';
import { type OAuthSurface, oauthPlugin } from '../oauth/plugin.js';
import type { OzSurface } from '../oz/context.js';
import { ozPlugin } from '../oz/plugin.js';
import type { ProfileSurface } from '../profile/context.js';
import { profileError } from '../profile/errors.js';
import { profilePlugin } from '../profile/plugin.js';
import type { Store } from '../store/types.js';
import type { TicketSurface } from '../tickets/context.js';
import { ticketError } from '../tickets/errors.js';
import { type TicketAuth, ticketsPlugin } from '../tickets/plugin.js';
import { ErrorReply } from '../tickets/schemas.js';
import { ClientErrors } from './client-errors.js';
import { consolePlugin } from './console.js';
import { sendApiError, toApiError } from './errors.js';
import type { Metrics } from './metrics.js';
import { registerDocs, registerOpenApi } from './openapi.js';
import { registerRateLimits } from './rate-limit.js';
import { systemPlugin } from './system.js';

export interface ServerDeps {
  store: Store;
  tenants: Tenants;
  clock: Clock;
  metrics: Metrics;
  logger: Logger;
  tickets: TicketSurface & { auth?: TicketAuth | undefined };
  /** The Crafter Profile-compatible surface (`/api/1`). */
  profile: ProfileSurface;
  /** The admin API (bearer master token, `/admin/v1`). */
  admin: AdminSurface;
  /** Oz user tickets over Hawk (`/v1/ticket`, `/oz`). */
  oz: OzSurface;
  /** RFC 8414 metadata, RFC 7662 introspection, RFC 7009 revocation (`/.well-known/…`, `/oauth/*`). */
  oauth: OAuthSurface;
  version: string;
  bodyLimit: number;
  /** Connection limits (config `http`). */
  http: HttpSettings;
  /** The built admin console (dist/console); /console answers 404 without it. */
  consoleDir?: string | undefined;
  /** OpenTelemetry's Fastify instrumentation, when tracing is on. */
  tracing?: FastifyOtelInstrumentation | undefined;
}

export interface HttpSettings {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Proxies whose X-Forwarded-For names the client (Fastify's trustProxy); none when empty. */
  trustedProxies: string[];
}

export const DEFAULT_HTTP: HttpSettings = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  trustedProxies: [],
};

/** Builds the HTTP server: one Fastify instance with every surface mounted. */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, trustedProxies } = deps.http;
  const clientErrors = new ClientErrors(deps.logger, requestTimeoutMs);
  const app = Fastify({
    // Slow clients (docs/security.md): headers and bodies that stall are
    // answered 408 and closed; Node checks its connections this often.
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    http: {
      requestTimeout: requestTimeoutMs,
      headersTimeout: Math.min(headersTimeoutMs, requestTimeoutMs),
      keepAliveTimeout: keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeoutMs / 4))),
    },
    clientErrorHandler: clientErrors.handle,
    trustProxy: trustedProxies.length > 0 ? trustedProxies : false,
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Fastify's own two lines per request are replaced by the one below (onResponse).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimit,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    // While draining, a request already on an open connection is still served
    // (with `Connection: close`), rather than refused with Fastify's own 503 body.
    return503OnClosing: false,
    // Profile ids, ticket ids and tenant names travel in paths: let any of them reach its route and get its own 404.
    routerOptions: { maxParamLength: 4096 },
    // Errors Fastify raises before routing (a URL that does not decode, ...)
    // skip the hooks: give them the request id and the ticket error model here.
    // A URL that cannot be decoded names no route.
    frameworkErrors: (err, req, reply) => {
      reply.header('RequestId', req.id);
      const known = err.code === 'FST_ERR_BAD_URL' || err.code === 'FST_ERR_MAX_PARAM_LENGTH';
      if (known && req.url.startsWith('/api/1/')) {
        sendApiError(profileError('notFound', 'No such API endpoint (see /openapi.json)'), reply);
        return;
      }
      sendApiError(known ? ticketError('notFound') : toApiError(err, req), reply);
    },
    // Response serialisers are built on a route's first answer, not at start:
    // building every route's up front was half of the time to the first answer.
    schemaController: { compilersFactory: { buildSerializer: lazySerializers } },
    ajv: {
      customOptions: {
        allErrors: true,
        coerceTypes: false,
        removeAdditional: false,
        useDefaults: false,
        verbose: true,
      },
    },
  });

  clientErrors.track(app.server);
  // Before every hook and route, so that each request is one span (src/telemetry/tracing.ts).
  if (deps.tracing) await app.register(deps.tracing.plugin());
  app.addSchema(ErrorReply);

  // Callback-style hooks: on the hot path they cost less than async ones.
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('RequestId', req.id);
    done();
  });

  // One line per request. The route pattern, never the raw URL: URLs of some
  // surfaces carry ticket ids and access tokens.
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unknown';
    const ms = reply.elapsedTime;
    deps.metrics.observe(req.method, route, reply.statusCode, ms / 1000);
    req.log.info({ method: req.method, route, status: reply.statusCode, ms: Math.round(ms * 100) / 100 }, 'request');
    done();
  });

  app.setErrorHandler((err, req, reply) => sendApiError(toApiError(err, req), reply));
  app.setNotFoundHandler((_req, reply) => sendApiError(ticketError('notFound'), reply));

  await registerOpenApi(app, deps.version);
  await registerRateLimits(app, deps.store.rateLimits, deps.clock);

  await app.register(systemPlugin, { store: deps.store, metrics: deps.metrics, version: deps.version });
  await app.register(ticketsPlugin, { ...deps.tickets, prefix: '/v1/tickets' });
  await app.register(profilePlugin, { ...deps.profile, prefix: '/api/1' });
  await app.register(adminPlugin, { ...deps.admin, prefix: '/admin/v1' });
  await app.register(ozPlugin, deps.oz);
  await app.register(oauthPlugin, deps.oauth);

  // The document is large (every surface) and never changes once the server is ready: serialise it once.
  let openapi: string | undefined;
  app.get('/openapi.json', { schema: { hide: true } }, async (_req, reply) => {
    openapi ??= JSON.stringify(app.swagger());
    return reply.type('application/json; charset=utf-8').send(openapi);
  });
  await registerDocs(app);
  await app.register(consolePlugin, { dir: deps.consoleDir });

  return app;
}

/** Fastify's own serializer factory (fast-json-stringify), each route's serializer built on its first use. */
const lazySerializers: SerializerSelector.SerializerFactory = (externalSchemas, options) => {
  const build = SerializerSelector()(externalSchemas, options);
  return (route) => {
    let serialize: SerializerSelector.Serializer | undefined;
    return (data) => {
      serialize ??= build(route);
      return serialize(data);
    };
  };
};
