import { type Server, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { ozError, toBoom } from '../oz/errors.js';
import { profileError } from '../profile/errors.js';
import { ticketError } from '../tickets/errors.js';
import type { ApiError } from './api-error.js';

/**
 * Answers to what goes wrong before a request reaches Fastify: bytes that
 * are not HTTP (bad framing, a method token HTTP does not know), headers
 * over Node's limit (431), and requests that stall (408, after
 * `http.headers_timeout_ms` or `http.request_timeout_ms`). Node hands these
 * to the server's `clientError` listener with the socket only; this one
 * answers in the error shape of the surface the request's path belongs to
 * (the ticket surface's when the path never arrived), logs the failure
 * without a byte of the request (it may carry credentials), and closes the
 * connection.
 *
 * Pipelining: requests read before the malformed one on the same connection
 * are answered first; the error follows their answers, then the connection
 * closes.
 */

type Surface = 'tickets' | 'profile' | 'oz' | 'admin';
type Failure = 'malformed' | 'timeout' | 'headersTooLarge';

/** The surface a path belongs to, by the prefixes the server mounts them at. */
export function surfaceOf(path: string): Surface {
  if (path === '/api/1' || path.startsWith('/api/1/')) return 'profile';
  if (path.startsWith('/admin/v1')) return 'admin';
  if (/^\/v1\/(ticket|rsvp)(?:[/?#]|$)/.test(path) || path.startsWith('/oz/')) return 'oz';
  return 'tickets';
}

function answer(surface: Surface, failure: Failure): ApiError {
  if (surface === 'profile') {
    if (failure === 'timeout') return profileError('requestTimeout', 'Request not received in time');
    if (failure === 'headersTooLarge') return profileError('headersTooLarge', 'Request headers too large');
    return profileError('paramDeserialization', 'Malformed request');
  }
  if (surface === 'oz') {
    if (failure === 'timeout') return toBoom(ozError('requestTimeout'));
    if (failure === 'headersTooLarge') return toBoom(ozError('headersTooLarge'));
    return toBoom(ozError('badRequest', 'Malformed request'));
  }
  // The ticket surface, and the admin API, which shares its error model.
  if (failure === 'timeout') return ticketError('requestTimeout');
  if (failure === 'headersTooLarge') return ticketError('headersTooLarge');
  return ticketError('invalidJson');
}

/** The path of the request line at the start of raw bytes, if one is there. */
function pathOf(raw: unknown): string | undefined {
  if (!Buffer.isBuffer(raw)) return undefined;
  const line = raw.subarray(0, Math.min(raw.length, 8192)).toString('latin1').split('\r\n', 1)[0] ?? '';
  const target = line.split(' ')[1];
  return target?.startsWith('/') ? target : undefined;
}

interface SocketState {
  /** Requests of this connection whose answers are not finished. */
  pending: number;
  /** Called once `pending` is 0. */
  idle: (() => void)[];
}

export class ClientErrors {
  private readonly sockets = new WeakMap<Socket, SocketState>();
  private readonly answered = new WeakSet<Socket>();

  constructor(
    private readonly log: Logger,
    /** The longest wait for the answers before a malformed request on its connection. */
    private readonly maxWaitMs: number,
  ) {}

  /** Counts each connection's requests in flight, so that an error waits for the answers before it. */
  track(server: Server): void {
    server.on('request', (req, res) => {
      const socket = req.socket;
      let state = this.sockets.get(socket);
      if (!state) {
        state = { pending: 0, idle: [] };
        this.sockets.set(socket, state);
      }
      state.pending += 1;
      const s = state;
      res.once('close', () => {
        s.pending -= 1;
        if (s.pending === 0) for (const f of s.idle.splice(0)) f();
      });
    });
  }

  /** Fastify's `clientErrorHandler`. */
  readonly handle = (err: NodeJS.ErrnoException & { rawPacket?: unknown }, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || socket.destroyed || this.answered.has(socket)) return;
    this.answered.add(socket);
    const failure: Failure =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'timeout'
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? 'headersTooLarge'
          : 'malformed';
    // A stalled or malformed body belongs to a request Node has already handed on (its headers were
    // whole): that request is the broken one, and its path is known.
    const current = (
      socket as Socket & { _httpMessage?: { req?: { url?: string; complete?: boolean }; headersSent?: boolean } }
    )._httpMessage;
    const inBody = current?.req !== undefined && current.req.complete === false;
    const path = (failure === 'timeout' || inBody ? current?.req?.url : undefined) ?? pathOf(err.rawPacket) ?? '/';
    const surface = surfaceOf(path);
    const e = answer(surface, failure);
    this.log.info({ err: { code: err.code ?? 'unknown' }, status: e.status, surface }, 'client error');

    const send = () => {
      if (socket.destroyed) return;
      // An answer already under way on this connection cannot be followed by another: just close.
      if ((failure === 'timeout' || inBody) && current?.headersSent) {
        socket.destroy();
        return;
      }
      const body = JSON.stringify(e.body);
      const headers = {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': String(Buffer.byteLength(body)),
        Connection: 'close',
        ...e.headers,
      };
      const head = Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      socket.end(`HTTP/1.1 ${e.status} ${STATUS_CODES[e.status] ?? ''}\r\n${head}\r\n${body}`);
      // A client that never reads must not keep the socket: it goes at the latest a second later.
      setTimeout(() => socket.destroy(), 1000).unref();
    };

    const state = this.sockets.get(socket);
    if (failure === 'timeout' || inBody || !state || state.pending === 0) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      socket.destroy();
    }, this.maxWaitMs);
    timer.unref();
    state.idle.push(() => {
      clearTimeout(timer);
      send();
    });
  };
}
