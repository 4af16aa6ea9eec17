import type { FastifyInstance } from 'fastify';
import type { TicketSurface } from '../context.js';
import { tenantLimit, tenantOf } from '../context.js';
import { CreateBody, CreateReply, limitedReplies, ProjectHeader } from '../schemas.js';

export function registerCreate(app: FastifyInstance, { service }: TicketSurface): void {
  app.post<{ Body: CreateBody }>(
    '',
    {
      onRequest: tenantLimit(app, 'create', 'ticketCreateRateLimit'),
      schema: {
        summary: 'Create a ticket',
        tags: ['tickets'],
        headers: ProjectHeader,
        body: CreateBody,
        response: { 200: CreateReply, ...limitedReplies },
      },
    },
    async (req) => {
      const ticket = await service.create(tenantOf(req), {
        ttl: req.body.ttl === undefined ? 60 : req.body.ttl,
        uses: req.body.uses === undefined ? 1 : req.body.uses,
        payloadJson: req.ticketPayloadJson,
      });
      return { ticket };
    },
  );
}
