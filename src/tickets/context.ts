import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Tenants } from '../core/tenants.js';
import { limiter } from '../http/rate-limit.js';
import type { TenantRecord } from '../store/types.js';
import { ticketError } from './errors.js';
import type { TicketService } from './service.js';

/** What every ticket route needs, handed over by the wiring. */
export interface TicketSurface {
  service: TicketService;
  tenants: Tenants;
  multiTenancy: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant a ticket-surface request acts in (resolved before the body is read). */
    ticketTenant: TenantRecord | null;
    /** The create body's payload text, as sent (see body.ts). */
    ticketPayloadJson: string | undefined;
  }
}

export type TicketRoute = (app: FastifyInstance, surface: TicketSurface) => void;

export const tenantOf = (req: FastifyRequest): TenantRecord => req.ticketTenant as TenantRecord;

/**
 * The tenant's limit on a kind of ticket request (docs/security.md): counted
 * per tenant across instances, refused 429 2009 with Retry-After.
 */
export function tenantLimit(
  app: FastifyInstance,
  kind: 'create' | 'use',
  setting: 'ticketCreateRateLimit' | 'ticketUseRateLimit',
) {
  return limiter(app, {
    perMinute: (req) => req.ticketTenant?.settings[setting] ?? 0,
    key: (req) => `tickets.${kind}:${tenantOf(req).name}`,
    refuse: (retryAfter) => ticketError('rateLimited', {}, { 'Retry-After': String(retryAfter) }),
  });
}
