import type { FastifyInstance } from 'fastify';
import { NO_VALIDATION, type OzSurface, sendJson } from '../context.js';
import { boomReplies, RsvpCreateRequest, RsvpReply, readBody } from '../schemas.js';

/** `POST /v1/rsvp`: the consent step → a grant and an rsvp. */
export function registerRsvpCreate(app: FastifyInstance, surface: OzSurface): void {
  app.post(
    '/v1/rsvp',
    {
      schema: {
        summary: 'Grant an app access for a person (consent) and get an rsvp',
        description:
          'Called by the login page once the person approved the app; not Hawk-signed: the session token is ' +
          'the proof (a live login ticket of an enabled profile of the app’s tenant, else 401 Invalid session). ' +
          'Creates the grant (the app’s scope, or the part of it given) and answers an rsvp that the app ' +
          'exchanges, with its app ticket, at POST /oz/rsvp within 60 s.',
        tags: ['oz'],
        body: RsvpCreateRequest,
        response: { 200: RsvpReply, ...boomReplies },
      },
      validatorCompiler: NO_VALIDATION,
    },
    async (req, reply) => {
      const body = readBody(req.body, RsvpCreateRequest);
      const rsvp = await surface.service.createRsvp(body.session, body.app, body.scope);
      return sendJson(req, reply, surface, 200, { rsvp });
    },
  );
}
