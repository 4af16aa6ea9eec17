import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/types.js';
import type { Metrics } from './metrics.js';

export interface SystemDeps {
  store: Store;
  metrics: Metrics;
  version: string;
}

const PingReply = Type.Object({ ok: Type.Boolean() });
const InfoReply = Type.Object({
  name: Type.Literal('ticketd'),
  version: Type.String(),
  store: Type.String({ description: 'sqlite, memory, postgres or redis' }),
  schemaVersion: Type.Integer(),
});

/** Health, identity and metrics: /v1/ping, /v1/info, /metrics. */
export async function systemPlugin(app: FastifyInstance, deps: SystemDeps): Promise<void> {
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
