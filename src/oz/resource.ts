import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Clock } from '../core/clock.js';
import { OzError, toBoom } from './errors.js';
import { type Artifacts, HawkVerifier } from './hawk.js';
import { IronKeys } from './iron.js';
import { checkTicketArtifacts, openTicket, type Ticket, type TicketInfo, withoutKey } from './tickets.js';

/**
 * Local verification for Node resource servers, as Oz's `Oz.server.authenticate`
 * does: a request signed with a ticketd user (or app) ticket is checked with
 * the Iron password alone — no call to ticketd. It checks the Hawk signature
 * (MAC, ±60 s, nonce, payload hash when the header has one), that the
 * ticket is a seal of ours and not expired, and that the header's app
 * (and dlg) are the ticket's. It cannot see grants: a revoked grant or an
 * ended session stops the ticket at its next reissue (within the ticket
 * TTL, 1 hour by default); use `POST /v1/ticket/authenticate` where
 * revocation must apply at once. Nonces are remembered in this process
 * unless `nonces` is given (share one store between instances).
 *
 * ```js
 * import { OzResource } from 'ticketd';
 * const oz = new OzResource({ password: process.env.TICKETD_OZ_IRON_PASSWORD, host: 'api.example.com', port: 443 });
 * http.createServer(async (req, res) => {
 *   try {
 *     const { ticket } = await oz.authenticate(req);        // ticket.user, ticket.scope, ticket.ext
 *     res.end(JSON.stringify({ hello: ticket.user }));
 *   } catch (err) {
 *     if (!(err instanceof OzAuthError)) throw err;
 *     res.writeHead(err.status, err.headers).end(JSON.stringify(err.body));
 *   }
 * });
 * ```
 */

export interface OzResourceOptions {
  /**
   * ticketd's Iron password: the single password (`oz.iron_password`), or
   * the map `oz.iron_passwords` (`{id: secret}`).
   */
  password: string | Readonly<Record<string, string>>;
  /** Host and port clients sign for; from the request's Host header when unset. */
  host?: string;
  port?: number;
  /** Take host and port from X-Forwarded-Host/-Port/-Proto (behind a trusted proxy only). */
  trustProxy?: boolean;
  /** Require a payload hash on every request. */
  requirePayloadHash?: boolean;
  /**
   * Records a nonce; true the first time the (credential, nonce) pair is
   * seen before `expiresAt`. Default: in this process's memory.
   */
  nonces?: (credentialId: string, nonce: string, now: number, expiresAt: number) => Promise<boolean> | boolean;
  /** Epoch milliseconds (tests). Default: Date.now. */
  now?: () => number;
}

/** The parts of a request: node's IncomingMessage fits. */
export interface OzResourceRequest {
  method?: string | undefined;
  url?: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  socket?: unknown;
}

export interface OzVerified {
  /** The ticket without its key: `exp`, `app`, `scope`, `grant` and `user` (user tickets), `dlg`, `ext`, `id`. */
  ticket: TicketInfo;
  /** Hawk's artifacts of the request. */
  artifacts: Artifacts;
  /** `Server-Authorization` for the response body (Hawk's response MAC with the body's hash). */
  serverAuthorization(body: string, contentType?: string): string;
}

/** A refusal to answer as it is: Boom's body, the status, and `WWW-Authenticate` on a 401. */
export class OzAuthError extends Error {
  override readonly name = 'OzAuthError';
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string>,
  ) {
    super(String(body.message));
  }
}

/** At most this many nonces are remembered in memory; expired ones are dropped first. */
const MAX_MEMORY_NONCES = 100_000;

function memoryNonces(): NonNullable<OzResourceOptions['nonces']> {
  const seen = new Map<string, number>();
  return (credentialId, nonce, now, expiresAt) => {
    const key = `${credentialId}\u0000${nonce}`;
    const until = seen.get(key);
    if (until !== undefined && until > now) return false;
    if (seen.size >= MAX_MEMORY_NONCES) {
      for (const [k, exp] of seen) if (exp <= now) seen.delete(k);
      // Still full: forget the oldest (Map order is insertion order).
      for (const k of seen.keys()) {
        if (seen.size < MAX_MEMORY_NONCES) break;
        seen.delete(k);
      }
    }
    seen.set(key, expiresAt);
    return true;
  };
}

export class OzResource {
  private readonly iron: IronKeys;
  private readonly hawk: HawkVerifier;
  private readonly clock: Clock;

  constructor(options: OzResourceOptions) {
    this.iron = IronKeys.forUnsealing(options.password);
    this.clock = { now: options.now ?? Date.now };
    const nonces = options.nonces ?? memoryNonces();
    this.hawk = new HawkVerifier(
      { use: async (id, nonce, now, expiresAt) => nonces(id, nonce, now, expiresAt) },
      this.clock,
      {
        host: options.host,
        port: options.port,
        trustProxy: options.trustProxy ?? false,
        requirePayloadHash: options.requirePayloadHash ?? false,
      },
    );
  }

  /**
   * Verifies the request; `payload` is its body (exact bytes or text), checked
   * against the header's `hash` when it has one. Throws an OzAuthError to
   * answer as it is.
   */
  async authenticate(req: OzResourceRequest | IncomingMessage, payload?: string | Buffer): Promise<OzVerified> {
    try {
      const encrypted = Boolean((req.socket as TLSSocket | undefined)?.encrypted);
      const { host, port } = this.hawk.hostPort(req.headers, encrypted);
      const type = req.headers['content-type'];
      const { credentials, artifacts } = await this.hawk.authenticate<Ticket>(
        {
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          host,
          port,
          authorization: typeof req.headers.authorization === 'string' ? req.headers.authorization : undefined,
          contentType: Array.isArray(type) ? type[0] : type,
          payload,
        },
        (id) => openTicket(this.iron, id, this.clock.now()),
      );
      checkTicketArtifacts(credentials, artifacts);
      return {
        ticket: withoutKey(credentials),
        artifacts,
        serverAuthorization: (body, contentType = 'application/json') =>
          this.hawk.responseHeader(credentials, artifacts, body, contentType),
      };
    } catch (err) {
      if (err instanceof OzError) {
        const answer = toBoom(err);
        throw new OzAuthError(answer.status, answer.body, answer.headers);
      }
      throw err;
    }
  }
}
