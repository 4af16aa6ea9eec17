/**
 * The routes each fuzz file sends its generated requests to, in one place,
 * so that test/fuzz/routes.test.ts can hold them against every route the
 * server has (the admin routes come from ADMIN_OPERATIONS, the system ones
 * from KNOWN_ROUTES in arbitraries.ts).
 */
import type { TicketRoute } from './oracle.js';

export const TICKET_ROUTES: Array<[TicketRoute, string]> = [
  ['create', '/v1/tickets'],
  ['use', '/v1/tickets/use'],
  ['peek', '/v1/tickets/peek'],
  ['delete', '/v1/tickets/delete'], // last: it removes pool tickets
];

export interface ProfileRoute {
  method: 'GET' | 'POST';
  /** `{id}` / `{name}` stand for a generated path segment. */
  path: string;
  /** Parameter names this route reads. */
  params: string[];
  /** The body is a JSON record (tenant, access token). */
  record?: 'tenant' | 'token';
  /** A 200 has an empty body. */
  empty?: boolean;
}

export const PROFILE_ROUTES: ProfileRoute[] = [
  { method: 'POST', path: '/authentication/authenticate', params: ['tenantName', 'username', 'password'] },
  { method: 'POST', path: '/authentication/ticket/create', params: ['profileId'] },
  { method: 'GET', path: '/authentication/ticket/{id}', params: [] },
  { method: 'POST', path: '/authentication/ticket/{id}/invalidate', params: [], empty: true },
  { method: 'POST', path: '/authentication/persistent_login/create', params: ['profileId'] },
  { method: 'GET', path: '/authentication/persistent_login/{id}', params: [] },
  { method: 'POST', path: '/authentication/persistent_login/{id}/refresh_token', params: [] },
  { method: 'POST', path: '/authentication/persistent_login/{id}/delete', params: [], empty: true },
  { method: 'GET', path: '/profile/by_ticket', params: ['ticketId', 'attributeToReturn'] },
  {
    method: 'POST',
    path: '/profile/create',
    params: ['tenantName', 'username', 'password', 'email', 'enabled', 'role', 'attributes', 'attributeToReturn'],
  },
  { method: 'GET', path: '/profile/{id}', params: ['attributeToReturn'] },
  {
    method: 'POST',
    path: '/profile/{id}/update',
    params: ['username', 'password', 'email', 'enabled', 'role', 'attributes', 'attributeToReturn'],
  },
  { method: 'POST', path: '/profile/{id}/enable', params: ['attributeToReturn'] },
  { method: 'POST', path: '/profile/{id}/disable', params: ['attributeToReturn'] },
  { method: 'POST', path: '/profile/{id}/delete', params: ['attributeToReturn'] },
  { method: 'POST', path: '/profile/{id}/change_password', params: ['newPassword', 'attributeToReturn'] },
  { method: 'POST', path: '/tenant/create', params: [], record: 'tenant' },
  { method: 'GET', path: '/tenant/all', params: [] },
  { method: 'GET', path: '/tenant/{name}', params: [] },
  { method: 'POST', path: '/tenant/{name}/delete', params: [] },
  { method: 'POST', path: '/access_token/create', params: [], record: 'token' },
  { method: 'GET', path: '/access_token/all', params: [] },
  { method: 'GET', path: '/access_token/{id}', params: [] },
  { method: 'POST', path: '/access_token/{id}/delete', params: [] },
];

export interface OzRoute {
  name: string;
  path: string;
  creds: 'app' | 'user' | 'appTicket' | 'any';
  body: string;
  /** Not Hawk-signed. */
  open?: boolean;
}

export const OZ_ROUTES: OzRoute[] = [
  { name: 'ticket', path: '/v1/ticket', creds: 'app', body: 'ticket' },
  { name: 'reissue', path: '/v1/ticket/reissue', creds: 'user', body: 'reissue' },
  { name: 'refresh', path: '/v1/ticket/refresh', creds: 'user', body: 'reissue' },
  { name: 'authenticate', path: '/v1/ticket/authenticate', creds: 'any', body: 'authenticate', open: true },
  { name: 'rsvpCreate', path: '/v1/rsvp', creds: 'any', body: 'rsvpCreate', open: true },
  { name: 'ozApp', path: '/oz/app', creds: 'app', body: 'ozApp' },
  { name: 'ozReissue', path: '/oz/reissue', creds: 'any', body: 'reissue' },
  { name: 'ozRsvp', path: '/oz/rsvp', creds: 'appTicket', body: 'ozRsvp' },
];

/** The OAuth endpoints (docs/oauth.md): RFC 8414 metadata, RFC 7662 introspection, RFC 7009 revocation. */
export const OAUTH_ROUTES: ReadonlyArray<readonly ['GET' | 'POST', string]> = [
  ['GET', '/.well-known/oauth-authorization-server'],
  ['POST', '/oauth/introspect'],
  ['POST', '/oauth/revoke'],
];
