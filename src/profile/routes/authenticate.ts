import type { FastifyInstance } from 'fastify';
import { actorOf, type ProfileSurface } from '../context.js';
import { AuthenticateParams, errorReplies, TicketReply } from '../schemas.js';

export function registerAuthenticate(app: FastifyInstance, { identity }: ProfileSurface): void {
  app.post<{ Querystring: AuthenticateParams }>(
    '/authentication/authenticate',
    {
      schema: {
        summary: 'Authenticate a profile with username and password; returns a login ticket',
        description:
          'Needs MANAGE_TICKETS on the tenant. Wrong passwords are counted: past failedLoginAttemptsBeforeDelay the ' +
          'answer is delayed, at failedLoginAttemptsBeforeLock the profile is locked for lockTime (423 PROFILE_LOCKED).',
        tags: ['profile'],
        querystring: AuthenticateParams,
        response: { 200: TicketReply, ...errorReplies },
      },
    },
    async (req) => {
      const { tenantName, username, password } = req.query;
      return identity.logins.authenticate(actorOf(req), tenantName, username, password);
    },
  );
}
