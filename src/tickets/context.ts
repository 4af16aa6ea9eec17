import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Tenants } from '../core/tenants.js';
import type { TenantRecord } from '../store/types.js';
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
