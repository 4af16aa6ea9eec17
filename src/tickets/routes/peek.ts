import type { FastifyInstance } from 'fastify';
import type { TicketSurface } from '../context.js';
import { tenantOf } from '../context.js';
import { errorReplies, PeekReply, ProjectHeader, TicketBody } from '../schemas.js';

const iso = (ms: number) => new Date(ms).toISOString();

export function registerPeek(app: FastifyInstance, { service }: TicketSurface): void {
  app.post<{ Body: TicketBody }>(
    '/peek',
    {
      schema: {
        summary: 'Look at a ticket without using it (ticketd addition)',
        description: 'Returns uses left and times, never the payload.',
        tags: ['tickets'],
        headers: ProjectHeader,
        body: TicketBody,
        response: { 200: PeekReply, ...errorReplies },
      },
    },
    async (req) => {
      const t = await service.peek(tenantOf(req).name, req.body.ticket);
      return { uses: t.uses, expires: t.expires === null ? null : iso(t.expires), created: iso(t.created) };
    },
  );
}
