import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/types.js';
import type { Metrics } from './metrics.js';

export interface SystemDeps {
  store: Store;
  metrics: Metrics;
  version: string;
}

/** How long `/readyz` waits for the store before it answers 503: a probe must not hang with it. */
export const READY_TIMEOUT_MS = 2_000;

const PingReply = Type.Object({ ok: Type.Boolean() });
const LiveReply = Type.Object({ status: Type.Literal('ok') });
const ReadyReply = Type.Object({
  status: Type.Literal('ready'),
  store: Type.String(),
  schemaVersion: Type.Integer(),
});
const NotReadyReply = Type.Object({
  status: Type.Literal('unavailable'),
  reason: Type.Union([Type.Literal('store unreachable'), Type.Literal('migrations pending')]),
  schemaVersion: Type.Optional(Type.Integer({ description: 'migrations pending: the version the store is at' })),
  expectedSchemaVersion: Type.Optional(
    Type.Integer({ description: 'migrations pending: the version this build needs' }),
  ),
});

/** The store's schema version, or undefined when it does not answer within READY_TIMEOUT_MS. */
async function storeVersion(store: Store): Promise<number | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), READY_TIMEOUT_MS);
  });
  try {
    return await Promise.race([store.schemaVersion(), late]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
const InfoReply = Type.Object({
  name: Type.Literal('ticketd'),
  version: Type.String(),
  store: Type.String({ description: 'sqlite, memory, postgres or redis' }),
  schemaVersion: Type.Integer(),
});

/** Health, identity and metrics: /livez, /readyz, /v1/ping, /v1/info, /metrics. */
export async function systemPlugin(app: FastifyInstance, deps: SystemDeps): Promise<void> {
  // For orchestrators (docs/operations.md, "Health checks"): liveness never
  // asks the store, so a store outage does not get the process restarted.
  app.get(
    '/livez',
    {
      schema: {
        summary: 'Is the process serving? (liveness: never asks the store)',
        tags: ['system'],
        response: { 200: LiveReply },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Should this instance get traffic? (readiness: the store answers, migrations applied)',
        tags: ['system'],
        response: { 200: ReadyReply, 503: NotReadyReply },
      },
    },
    async (_req, reply) => {
      const version = await storeVersion(deps.store);
      if (version === undefined) return reply.code(503).send({ status: 'unavailable', reason: 'store unreachable' });
      if (version < deps.store.latestSchemaVersion) {
        return reply.code(503).send({
          status: 'unavailable',
          reason: 'migrations pending',
          schemaVersion: version,
          expectedSchemaVersion: deps.store.latestSchemaVersion,
        });
      }
      return { status: 'ready' as const, store: deps.store.kind, schemaVersion: version };
    },
  );

  app.get(
    '/v1/ping',
    {
      schema: {
        summary: 'Is the server up and its store answering?',
        tags: ['system'],
        response: { 200: PingReply, 500: PingReply },
      },
    },
    async (_req, reply) => {
      try {
        await deps.store.ping();
        return { ok: true };
      } catch {
        return reply.code(500).send({ ok: false });
      }
    },
  );

  app.get(
    '/v1/info',
    { schema: { summary: 'Version, store and schema version', tags: ['system'], response: { 200: InfoReply } } },
    async () => ({
      name: 'ticketd' as const,
      version: deps.version,
      store: deps.store.kind,
      schemaVersion: await deps.store.schemaVersion(),
    }),
  );

  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['system'] } }, async (_req, reply) => {
    reply.type(deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}
