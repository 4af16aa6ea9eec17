import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessTokens } from '../core/access-tokens.js';
import { ApiError } from '../http/api-error.js';
import { bearerToken } from '../http/bearer.js';
import { sendApiError } from '../http/errors.js';
import { StoreUnavailableError } from '../store/types.js';
import { oauthError } from './errors.js';
import type { TokenIntrospection } from './introspection.js';
import { IntrospectionReply, Metadata, OAuthErrorReply, TokenForm } from './schemas.js';

export interface OAuthSurface {
  introspection: TokenIntrospection;
  accessTokens: AccessTokens;
  /** The server's public base URL, without a trailing slash (config public_url). */
  issuer: string;
}

const AUTH_METHODS = ['bearer access token (Authorization: Bearer <access token id>)'];
const errorReplies = { 400: OAuthErrorReply, 401: OAuthErrorReply, 503: OAuthErrorReply };

/**
 * RFC 8414 metadata, RFC 7662 introspection and RFC 7009 revocation
 * (docs/oauth.md), for resource servers, gateways and OAuth libraries that
 * speak those rather than ticketd's own routes. The caller presents an
 * access token as a bearer token; the body is a form.
 */
export async function oauthPlugin(app: FastifyInstance, surface: OAuthSurface): Promise<void> {
  const { introspection, accessTokens, issuer } = surface;

  app.get(
    '/.well-known/oauth-authorization-server',
    {
      schema: {
        summary: 'Authorization server metadata (RFC 8414): the introspection and revocation endpoints',
        tags: ['oauth'],
        response: { 200: Metadata },
      },
    },
    async () => ({
      issuer,
      introspection_endpoint: `${issuer}/oauth/introspect`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      introspection_endpoint_auth_methods_supported: AUTH_METHODS,
      revocation_endpoint_auth_methods_supported: AUTH_METHODS,
      service_documentation: `${issuer}/docs`,
    }),
  );

  await app.register(async (forms) => {
    forms.removeAllContentTypeParsers();
    forms.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
      const params = new URLSearchParams(body as string);
      const out: Record<string, string> = Object.create(null);
      for (const [k, v] of params) {
        // RFC 6749 §3.1: a parameter sent twice is an invalid request.
        if (Object.hasOwn(out, k)) return done(oauthError('invalidRequest', `parameter ${k} repeated`), undefined);
        out[k] = v;
      }
      done(null, out);
    });
    forms.setErrorHandler((err, req, reply) => sendApiError(toOAuthError(err, req), reply));

    /** The calling access token: a bearer token that is live, else 401. */
    const caller = async (req: FastifyRequest) => {
      const record = await accessTokens.live(bearerToken(req.headers.authorization));
      if (!record) throw oauthError('invalidToken', 'a live access token is required as a bearer token');
      return record;
    };
    const noStore = (reply: FastifyReply) => reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');

    forms.post<{ Body: { token: string } }>(
      '/oauth/introspect',
      {
        schema: {
          summary: 'Introspect a credential (RFC 7662): active, and whose, until when',
          description:
            'Any credential ticketd issues. The bearer access token must have a permission on the credential’s ' +
            'tenant (access tokens: a master token); anything else is {"active": false}.',
          tags: ['oauth'],
          consumes: ['application/x-www-form-urlencoded'],
          body: TokenForm,
          response: { 200: IntrospectionReply, ...errorReplies },
        },
      },
      async (req, reply) => {
        const who = await caller(req);
        noStore(reply);
        return introspection.introspect(who, req.body.token);
      },
    );

    forms.post<{ Body: { token: string } }>(
      '/oauth/revoke',
      {
        schema: {
          summary: 'Revoke a credential (RFC 7009)',
          description:
            'Ends the credential: an opaque ticket is deleted, a login ticket ends with its session and grants, ' +
            'an Oz user ticket with its grant. An unknown token is answered 200 as well; an Oz app ticket is ' +
            'unsupported_token_type (rotate its app key).',
          tags: ['oauth'],
          consumes: ['application/x-www-form-urlencoded'],
          body: TokenForm,
          response: { 200: { type: 'null', description: 'revoked, or nothing to revoke' }, ...errorReplies },
        },
      },
      async (req, reply) => {
        const who = await caller(req);
        const done = await introspection.revoke(who, req.body.token);
        if (done === 'unsupported') {
          throw oauthError('unsupportedTokenType', 'Oz app tickets end when their app key is rotated');
        }
        noStore(reply);
        return reply.code(200).send();
      },
    );
  });
}

/** Anything thrown on these routes, as an OAuth error body. */
function toOAuthError(err: unknown, req: FastifyRequest): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof StoreUnavailableError) {
    req.log.warn({ err: { message: err.message } }, 'store unavailable');
    return oauthError('temporarilyUnavailable', 'store unavailable; retry later');
  }
  const fe = err as FastifyError;
  if (fe.validation) return oauthError('invalidRequest', 'a token parameter (1 to 8192 characters) is required');
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return oauthError('invalidRequest', 'send application/x-www-form-urlencoded with a token parameter');
  }
  throw err;
}
