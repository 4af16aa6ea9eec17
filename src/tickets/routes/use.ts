import type { FastifyInstance } from 'fastify';
import type { TicketSurface } from '../context.js';
import { tenantLimit, tenantOf } from '../context.js';
import { limitedReplies, ProjectHeader, TicketBody, UseReply } from '../schemas.js';

export function registerUse(app: FastifyInstance, { service }: TicketSurface): void {
  app.post<{ Body: TicketBody }>(
    '/use',
    {
      onRequest: tenantLimit(app, 'use', 'ticketUseRateLimit'),
      schema: {
        summary: 'Use a ticket (takes one use, returns the payload)',
        tags: ['tickets'],
        headers: ProjectHeader,
        body: TicketBody,
        response: { 200: UseReply, ...limitedReplies },
      },
    },
    async (req, reply) => {
      const used = await service.use(tenantOf(req).name, req.body.ticket);
      // The payload is the client's own JSON text: splice it in rather than re-serialise it.
      reply.type('application/json; charset=utf-8');
      return `{"uses":${used.uses},"payload":${used.payloadJson ?? 'null'}}`;
    },
  );
}
