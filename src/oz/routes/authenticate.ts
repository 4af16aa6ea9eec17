import type { FastifyInstance } from 'fastify';
import { NO_VALIDATION, type OzSurface, sendJson } from '../context.js';
import { ozError } from '../errors.js';
import { AuthenticateReply, AuthenticateRequest, boomReplies, readBody } from '../schemas.js';
import { checkTicketArtifacts, withoutKey } from '../tickets.js';

/** `POST /v1/ticket/authenticate`: a resource server asks whether a request it received is signed with a usable ticket. */
export function registerAuthenticate(app: FastifyInstance, surface: OzSurface): void {
  app.post(
    '/v1/ticket/authenticate',
    {
      schema: {
        summary: 'Check a Hawk request a resource server received',
        description:
          'For resource servers in any language: send the parts of the request as received. ticketd checks ' +
          'the Hawk signature made with a user or app ticket (MAC, ±60 s, nonce — recorded, so a request ' +
          'authenticates once — and the payload hash when the header has one), the ticket’s expiry, its app, and ' +
          'for a user ticket that its grant is live (session live, profile enabled). 200: the ticket without ' +
          'its key, and Hawk’s artifacts. 401: the answer to relay to the client (with WWW-Authenticate).',
        tags: ['oz'],
        body: AuthenticateRequest,
        response: { 200: AuthenticateReply, ...boomReplies },
      },
      validatorCompiler: NO_VALIDATION,
    },
    async (req, reply) => {
      const body = readBody(req.body, AuthenticateRequest);
      const port = Number(body.port);
      if (port < 1 || port > 65535) throw ozError('badRequest', 'Invalid request payload: "port" must be 1-65535');
      const { credentials: ticket, artifacts } = await surface.hawk.authenticate(
        {
          method: body.method,
          url: body.url,
          host: body.host,
          port,
          authorization: body.authorization,
          contentType: body.contentType,
          payload: body.payload,
        },
        (id) => surface.service.openTicket(id, true),
      );
      checkTicketArtifacts(ticket, artifacts);
      await surface.service.checkLive(ticket);
      return sendJson(req, reply, surface, 200, { ticket: withoutKey(ticket), artifacts });
    },
  );
}
