/** Small HTTP helpers the scenario set-ups use against a running ticketd (before the timed runs). */

export const BENCH_MASTER_TOKEN = 'bench-master-token-0123456789abcdef';
export const BENCH_PASSWORD = 'correct horse battery staple';

export interface Answer {
  status: number;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers of several routes
  json: any;
}

export async function call(
  base: string,
  method: string,
  path: string,
  options: { body?: string; form?: Record<string, string>; headers?: Record<string, string>; ok?: boolean } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  } else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = options.body;
  }
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  if (options.ok !== false && !res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  let json: unknown = null;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, text, json };
}

/** Runs `fn(i)` for i in [0, n) with at most `parallel` at once; returns the results in order. */
export async function inParallel<T>(n: number, parallel: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, n) }, async () => {
      for (let i = next++; i < n; i = next++) out[i] = await fn(i);
    }),
  );
  return out;
}

/** A profile in tenant `default` with a known password (made with the master token). */
export async function createProfile(base: string, username: string): Promise<string> {
  const { json } = await call(base, 'POST', '/api/1/profile/create', {
    form: {
      accessTokenId: BENCH_MASTER_TOKEN,
      tenantName: 'default',
      username,
      password: BENCH_PASSWORD,
      email: `${username}@example.com`,
      attributes: JSON.stringify({ dbs: '2e2ed05a-4f63-4850-9297-5b8384397dd0' }),
    },
  });
  return (json as { id: string }).id;
}

/** Logs the profile in (authenticate: scrypt); returns the login ticket id, the session token. */
export async function login(base: string, username: string): Promise<string> {
  const { json } = await call(base, 'POST', '/api/1/authentication/authenticate', {
    form: { accessTokenId: BENCH_MASTER_TOKEN, tenantName: 'default', username, password: BENCH_PASSWORD },
  });
  return (json as { id: string }).id;
}
