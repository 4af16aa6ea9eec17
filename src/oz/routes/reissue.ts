import type { FastifyInstance } from 'fastify';
import { authenticateTicket, NO_VALIDATION, type OzSurface, sendJson } from '../context.js';
import { ozError } from '../errors.js';
import { boomReplies, ReissueRequest, readBody, TicketReply } from '../schemas.js';

const DESCRIPTION =
  'Hawk-signed with an existing ticket (id = its sealed id, its key; the header carries `app`, and `dlg` when ' +
  'delegated). An expired ticket may be reissued while its grant lives. A user ticket’s grant must be live: not ' +
  'revoked or expired, naming the ticket’s app and user, its session live, its profile enabled (else 401 Invalid ' +
  'grant). `scope` may only narrow (403); `issueTo` needs the app’s delegate right and a ticket that is not ' +
  'itself delegated. The new ticket has a fresh key.';

/** `POST /v1/ticket/reissue` and its alias `/v1/ticket/refresh` (the mylet API): user tickets. */
export function registerTicketReissue(app: FastifyInstance, surface: OzSurface): void {
  for (const path of ['/v1/ticket/reissue', '/v1/ticket/refresh']) {
    app.post(
      path,
      {
        schema: {
          summary: path === '/v1/ticket/reissue' ? 'Reissue a user ticket' : 'Refresh a user ticket (alias of reissue)',
          description: `${DESCRIPTION} App tickets: use /oz/reissue.`,
          tags: ['oz'],
          body: ReissueRequest,
          response: { 200: TicketReply, ...boomReplies },
        },
        validatorCompiler: NO_VALIDATION,
      },
      async (req, reply) => {
        const parent = await authenticateTicket(req, surface, false);
        if (parent.grant === undefined) throw ozError('appTicketOnUserEndpoint');
        const options = readBody(req.body, ReissueRequest, true);
        return sendJson(req, reply, surface, 200, await surface.service.reissue(parent, options));
      },
    );
  }
}

/** `POST /oz/reissue` (Oz's endpoint): user and app tickets. Registered under the /oz prefix. */
export function registerOzReissue(app: FastifyInstance, surface: OzSurface): void {
  app.post(
    '/reissue',
    {
      schema: {
        summary: 'Reissue a ticket (Oz)',
        description: `${DESCRIPTION} Also for app tickets.`,
        tags: ['oz'],
        body: ReissueRequest,
        response: { 200: TicketReply, ...boomReplies },
      },
      validatorCompiler: NO_VALIDATION,
    },
    async (req, reply) => {
      const parent = await authenticateTicket(req, surface, false);
      const options = readBody(req.body, ReissueRequest, true);
      return sendJson(req, reply, surface, 200, await surface.service.reissue(parent, options));
    },
  );
}
