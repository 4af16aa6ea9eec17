import { errorOf, type Surface } from './errors.js';

/** What every client is given: where ticketd is, and optionally a fetch of your own (proxies, tests). */
export interface ClientOptions {
  /** e.g. `http://127.0.0.1:5200` */
  baseUrl: string;
  fetch?: typeof fetch;
}

export interface Call {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** Query parameters; undefined values are left out, arrays repeat the name. */
  query?: Record<string, string | number | boolean | string[] | undefined>;
  /** A JSON body, sent as is when a string. */
  json?: unknown;
  /** A form body (`application/x-www-form-urlencoded`). */
  form?: Record<string, string | number | boolean | string[] | undefined>;
  headers?: Record<string, string>;
}

export interface Answer<T> {
  status: number;
  headers: Headers;
  /** The body as text, exactly as answered. */
  text: string;
  body: T;
}

function params(values: NonNullable<Call['query']>): URLSearchParams {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) out.append(k, String(one));
  }
  return out;
}

/** The URL of a call on `baseUrl`. */
export function urlOf(baseUrl: string, call: Pick<Call, 'path' | 'query'>): string {
  const base = baseUrl.replace(/\/+$/, '');
  const qs = call.query ? params(call.query).toString() : '';
  return `${base}${call.path}${qs ? `?${qs}` : ''}`;
}

/** Sends a call; a non-2xx answer throws the surface's TicketdError. */
export async function send<T>(options: ClientOptions, surface: Surface, call: Call): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...call.headers };
  let body: string | undefined;
  if (call.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = typeof call.json === 'string' ? call.json : JSON.stringify(call.json);
  } else if (call.form) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
    body = params(call.form).toString();
  }
  const res = await (options.fetch ?? fetch)(urlOf(options.baseUrl, call), { method: call.method, headers, body });
  const text = await res.text();
  let parsed: unknown = null;
  if (text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!res.ok) throw errorOf(surface, res.status, parsed, res.headers);
  return { status: res.status, headers: res.headers, text, body: parsed as T };
}
