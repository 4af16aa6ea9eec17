import type { FastifyInstance } from 'fastify';
import type { TicketSurface } from '../context.js';
import { tenantOf } from '../context.js';
import { DeleteReply, errorReplies, ProjectHeader, TicketBody } from '../schemas.js';

export function registerDelete(app: FastifyInstance, { service }: TicketSurface): void {
  app.post<{ Body: TicketBody }>(
    '/delete',
    {
      schema: {
        summary: 'Delete a ticket',
        description: 'Always 200: `deleted` says whether a live ticket was removed.',
        tags: ['tickets'],
        headers: ProjectHeader,
        body: TicketBody,
        response: { 200: DeleteReply, ...errorReplies },
      },
    },
    async (req) => service.delete(tenantOf(req).name, req.body.ticket),
  );
}
