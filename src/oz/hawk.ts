import { createHash } from 'node:crypto';
import hawk from 'hawk';
import type { Clock } from '../core/clock.js';
import type { NonceStore } from '../store/types.js';
import { OzError, type OzErrorName, ozError } from './errors.js';

/**
 * Hawk request verification as docs/oz.md sets it, on top of `hawk` 9.0.2's own
 * server functions (MAC over `hawk.1.header`, constant-time comparison,
 * payload hash over `hawk.1.payload`, `ts`/`tsm` on a stale timestamp):
 * - the clock is ticketd's (injectable), passed to hawk as an offset;
 * - nonces are recorded in the store, so a (credential id, nonce) pair is
 *   accepted once across every instance;
 * - a `hash` attribute is always checked against the body (Hawk trusts it
 *   otherwise, mozilla/hawk#284), and required when `requirePayloadHash`;
 * - host and port come from the configuration, else from `Host` — and from
 *   `X-Forwarded-Host/-Port/-Proto` only behind a trusted proxy;
 * - headers longer than 4096 characters are refused (400);
 * - a timestamp that is not a whole number of seconds is stale (Hawk itself
 *   lets `ts="x"` pass its staleness check).
 */

/** Longest Authorization, Host or X-Forwarded-* header accepted (Hawk's own limit). */
export const MAX_HEADER_LENGTH = 4096;
/** Requests are accepted within ±60 s of the server's clock. */
export const TIMESTAMP_SKEW_SEC = 60;

export interface HawkSettings {
  /** Host name clients sign for; from the request when unset. */
  host?: string | undefined;
  /** Port clients sign for; from the request when unset. */
  port?: number | undefined;
  /** Take host and port from X-Forwarded-Host / X-Forwarded-Port / X-Forwarded-Proto. */
  trustProxy: boolean;
  /** Every request must carry a payload hash (`hash`), even with an empty body. */
  requirePayloadHash: boolean;
}

export type HeaderMap = Record<string, string | string[] | undefined>;

/** The parts of a request that Hawk signs. */
export interface SignedRequest {
  method: string;
  /** Path and query string, as sent. */
  url: string;
  host: string;
  port: number;
  authorization: string | undefined;
  contentType: string | undefined;
  /** The body as received (exact bytes); checked when the header has a `hash`, or when hashes are required. */
  payload: Buffer | string | undefined;
}

/** Hawk credentials: the id's key and MAC algorithm. */
export type Credentials = hawk.Credentials;

/** What Hawk read from a request (its header's attributes, method, host, port, resource). */
export type Artifacts = hawk.Artifacts;

/** Finds the credentials of a Hawk id; null when there are none. May throw an OzError (e.g. `Bad ticket`). */
export type CredentialsLookup<C extends Credentials> = (id: string) => Promise<C | null>;

/** Hawk's 401 messages and their catalog entries. */
const UNAUTHORIZED: Record<string, OzErrorName> = {
  'Unknown credentials': 'unknownCredentials',
  'Bad mac': 'badMac',
  'Stale timestamp': 'staleTimestamp',
  'Invalid nonce': 'invalidNonce',
  'Missing required payload hash': 'missingPayloadHash',
  'Bad payload hash': 'badPayloadHash',
};

const TIMESTAMP = /^\d{1,15}$/;

/** The store key of a credential id: ticket ids are long seals, so every id is hashed. */
export const nonceCredentialId = (id: string): string => createHash('sha256').update(id, 'utf8').digest('base64url');

/** Nonces are kept as sent when short, hashed when long (they may be up to a header's length). */
const nonceKey = (nonce: string): string =>
  nonce.length <= 64 ? nonce : `#${createHash('sha256').update(nonce, 'utf8').digest('base64url')}`;

export class HawkVerifier {
  constructor(
    private readonly nonces: Pick<NonceStore, 'use'>,
    private readonly clock: Clock,
    private readonly settings: HawkSettings,
  ) {}

  /**
   * Host and port the client signed for: the configured ones, else the
   * request's `Host` (or, behind a trusted proxy, `X-Forwarded-Host`, with
   * the port from it, `X-Forwarded-Port`, or `X-Forwarded-Proto`).
   */
  hostPort(headers: HeaderMap, encrypted: boolean): { host: string; port: number } {
    const { host, port } = this.settings;
    if (host !== undefined && port !== undefined) return { host, port };
    const proxy = this.settings.trustProxy;
    const forwardedHost = proxy ? firstValue(headers['x-forwarded-host']) : undefined;
    const hostHeader = headers.host;
    const raw = forwardedHost ?? (Array.isArray(hostHeader) ? hostHeader[0] : hostHeader);
    if (raw === undefined || raw.length > MAX_HEADER_LENGTH || raw.includes('/') || raw === '') {
      if (raw !== undefined && raw.length > MAX_HEADER_LENGTH) throw ozError('badHeader', 'Header length too long');
      throw ozError('badHeader', 'Invalid Host header');
    }
    let parsed: URL;
    try {
      parsed = new URL(`http://${raw}`);
    } catch {
      throw ozError('badHeader', 'Invalid Host header');
    }
    let headerPort = parsed.port === '' ? undefined : Number(parsed.port);
    if (headerPort === undefined && proxy) {
      const fwdPort = firstValue(headers['x-forwarded-port']);
      const proto = firstValue(headers['x-forwarded-proto'])?.toLowerCase();
      if (fwdPort !== undefined && /^\d{1,5}$/.test(fwdPort) && Number(fwdPort) <= 65535) headerPort = Number(fwdPort);
      else if (proto === 'https') headerPort = 443;
      else if (proto === 'http') headerPort = 80;
    }
    return { host: host ?? parsed.hostname, port: port ?? headerPort ?? (encrypted ? 443 : 80) };
  }

  /**
   * Verifies the request's Hawk header with the credentials `lookup` finds
   * for its id, records its nonce, and returns what Hawk returns. Throws an
   * OzError with Hawk's or Oz's message; store failures pass through as they are.
   */
  async authenticate<C extends Credentials>(
    req: SignedRequest,
    lookup: CredentialsLookup<C>,
  ): Promise<{ credentials: C; artifacts: Artifacts }> {
    if (req.authorization !== undefined && req.authorization.length > MAX_HEADER_LENGTH) {
      throw ozError('badHeader', 'Header length too long');
    }
    let checkPayload = this.settings.requirePayloadHash;
    if (!checkPayload && req.authorization) {
      try {
        checkPayload = hawk.utils.parseAuthorizationHeader(req.authorization).hash !== undefined;
      } catch {
        // Malformed: hawk.server.authenticate says so below.
      }
    }

    // Failures of ours (a store error, a bad ticket) that hawk would wrap in its own answer.
    let own: unknown;
    let credentialId = '';
    let found: C | null = null;
    let badTimestamp = false;

    const credentialsFunc = async (id: string): Promise<C | null> => {
      credentialId = id;
      try {
        found = await lookup(id);
        return found;
      } catch (err) {
        own = err;
        throw err;
      }
    };
    const nonceFunc = async (_key: string, nonce: string, ts: string): Promise<void> => {
      if (!TIMESTAMP.test(ts)) {
        badTimestamp = true;
        throw new Error('bad timestamp');
      }
      const now = this.clock.now();
      const skewMs = TIMESTAMP_SKEW_SEC * 1000;
      // The pair must be remembered as long as its timestamp is acceptable: until ts + skew.
      const until = Math.min(Math.max(Number(ts) * 1000 + skewMs, now + 1), now + 2 * skewMs);
      let fresh: boolean;
      try {
        fresh = await this.nonces.use(nonceCredentialId(credentialId), nonceKey(nonce), now, until);
      } catch (err) {
        own = err;
        throw err;
      }
      if (!fresh) throw new Error('replayed nonce');
    };

    // hawk reads the time first thing: the offset is taken right before, so that its now is the clock's.
    let offset = 0;
    try {
      const parts: hawk.RequestParts = {
        method: req.method,
        url: req.url,
        host: req.host,
        port: req.port,
        authorization: req.authorization,
        contentType: req.contentType ?? '',
      };
      offset = this.clock.now() - Date.now();
      return await hawk.server.authenticate<C>(parts, credentialsFunc, {
        nonceFunc,
        timestampSkewSec: TIMESTAMP_SKEW_SEC,
        localtimeOffsetMsec: offset,
        ...(checkPayload ? { payload: req.payload ?? '' } : {}),
      });
    } catch (err) {
      if (own !== undefined) throw own;
      if (badTimestamp && found) {
        const { ts, tsm } = hawk.crypto.timestampMessage(found, offset);
        throw ozError('staleTimestamp', undefined, {}, { ts, tsm });
      }
      throw fromHawk(err);
    }
  }

  /** `Server-Authorization` for a response: Hawk's response MAC, with the hash of the body. */
  responseHeader(credentials: Credentials, artifacts: Artifacts, body: string, contentType: string): string {
    return hawk.server.header(credentials, artifacts, { payload: body, contentType });
  }
}

/** A hawk (Boom) error as the catalog's; anything else as it is. */
export function fromHawk(err: unknown): unknown {
  if (err instanceof OzError) return err;
  const boom = err as Partial<hawk.BoomLike> | null;
  if (!boom?.isBoom || !boom.output) return err;
  const status = boom.output.statusCode;
  const message = String(boom.output.payload.message ?? '');
  if (status === 400) return ozError('badHeader', message);
  if (status !== 401) return err;
  const name = UNAUTHORIZED[message];
  // No Authorization header, or another scheme than Hawk.
  if (!name) return ozError('missingAuthentication');
  if (name !== 'staleTimestamp') return ozError(name);
  const attributes = boom.output.payload.attributes as { ts?: number; tsm?: string } | undefined;
  const extra: Record<string, string | number> = {};
  if (attributes?.ts !== undefined) extra.ts = attributes.ts;
  if (attributes?.tsm !== undefined) extra.tsm = attributes.tsm;
  return ozError(name, undefined, {}, extra);
}

/** The first of a comma-separated list of values (X-Forwarded-* headers, one per proxy). */
function firstValue(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (s === undefined) return undefined;
  const first = s.split(',')[0]?.trim();
  return first === '' ? undefined : first;
}
