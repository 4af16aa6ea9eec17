import type { FastifyInstance } from 'fastify';
import { limiter } from '../../http/rate-limit.js';
import { actorOf, type ProfileSurface } from '../context.js';
import { profileError } from '../errors.js';
import { AuthenticateParams, errorReplies, TicketReply } from '../schemas.js';

export function registerAuthenticate(app: FastifyInstance, { identity }: ProfileSurface): void {
  const tenantOf = (req: { query: unknown }) => String((req.query as AuthenticateParams).tenantName);
  const settingOf = (name: string) => {
    const cached = identity.tenants.cached(name);
    if (cached !== undefined) return cached?.settings.authenticateRateLimit ?? 0;
    return identity.tenants.get(name).then((t) => t?.settings.authenticateRateLimit ?? 0);
  };
  app.post<{ Querystring: AuthenticateParams }>(
    '/authentication/authenticate',
    {
      // The tenant's authenticateRateLimit, per client address (docs/security.md); counted once the parameters are valid.
      preHandler: limiter(app, {
        perMinute: (req) => settingOf(tenantOf(req)),
        key: (req) => `authenticate:${tenantOf(req)}:${req.ip}`,
        refuse: (retryAfter) =>
          profileError(
            'rateLimited',
            'Too many logins from this address; retry later',
            {},
            {
              'Retry-After': String(retryAfter),
            },
          ),
      }),
      schema: {
        summary: 'Authenticate a profile with username and password; returns a login ticket',
        description:
          'Needs MANAGE_TICKETS on the tenant. Wrong passwords are counted: past failedLoginAttemptsBeforeDelay the ' +
          'answer is delayed, at failedLoginAttemptsBeforeLock the profile is locked for lockTime (423 PROFILE_LOCKED).',
        tags: ['profile'],
        querystring: AuthenticateParams,
        response: { 200: TicketReply, ...errorReplies, 429: errorReplies[400] },
      },
    },
    async (req) => {
      const { tenantName, username, password } = req.query;
      return identity.logins.authenticate(actorOf(req), tenantName, username, password);
    },
  );
}
