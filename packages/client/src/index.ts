/**
 * @ticketd/client: a typed client for ticketd's APIs.
 *
 * - TicketsClient: opaque limited-use tickets (`/v1/tickets`)
 * - ProfileClient: profiles, sessions and persistent logins (`/api/1`)
 * - OzClient / OzSession: app and user tickets over Hawk, kept fresh by reissue
 * - verifyRequest / hawkPreHandler: a resource server's check of Hawk-signed requests
 * - TicketdError and one subclass per surface, their codes typed from ticketd's catalogs
 */
export * from './catalog.js';
export * from './errors.js';
export type { ClientOptions } from './http.js';
export { type HawkCredentials, hawkHeader, OzClient, type OzClientOptions, OzSession, type OzTicket } from './oz.js';
export * from './profile.js';
export * from './resource.js';
export * from './tickets.js';
