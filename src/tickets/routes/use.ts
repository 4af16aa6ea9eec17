import type { FastifyInstance } from 'fastify';
import type { TicketSurface } from '../context.js';
import { tenantOf } from '../context.js';
import { errorReplies, ProjectHeader, TicketBody, UseReply } from '../schemas.js';

export function registerUse(app: FastifyInstance, { service }: TicketSurface): void {
  app.post<{ Body: TicketBody }>(
    '/use',
    {
      schema: {
        summary: 'Use a ticket (takes one use, returns the payload)',
        tags: ['tickets'],
        headers: ProjectHeader,
        body: TicketBody,
        response: { 200: UseReply, ...errorReplies },
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
