import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../core/access-tokens.js';
import type { AuditLog } from '../core/audit.js';
import type { DomainErrorCode } from '../core/domain-error.js';
import type { Identity } from '../core/identity.js';
import type { ProfileErrorName } from './errors.js';

/** What every profile route needs, handed over by the wiring. */
export interface ProfileSurface {
  identity: Identity;
  /** Where the management routes' changes are recorded (audit.ts); none without it. */
  audit?: AuditLog | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The application calling, from its access token (set before validation). */
    profileActor: Actor | null;
  }
  interface FastifyContextConfig {
    /** Domain errors this route answers differently from the catalog's default (e.g. NO_SUCH_TICKET 400 on by_ticket). */
    profileErrors?: Partial<Record<DomainErrorCode, ProfileErrorName>>;
    /** Only master access tokens may call this route. */
    masterOnly?: boolean;
    /** The JSON body is a record (tenant, access token), not parameters. */
    recordBody?: boolean;
    /** A management change, recorded in the audit log under this action (audit.ts). */
    audit?: string;
  }
}

export type ProfileRoute = (app: FastifyInstance, surface: ProfileSurface) => void;

export const actorOf = (req: FastifyRequest): Actor => req.profileActor as Actor;
