/**
 * The admin API (/admin/v1) with the master token. The token lives in this
 * tab's sessionStorage only (never in a URL, never in localStorage) and goes
 * in the Authorization header of each call.
 */
const KEY = 'ticketd.masterToken';

export const token = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (value: string) => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY),
};

/** A refusal of the admin API: its `{code, error, detail?, invalid?}` body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${token.get() ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/admin/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = text === '' ? null : (JSON.parse(text) as unknown);
  if (!res.ok) {
    const e = (json ?? {}) as {
      code?: number;
      error?: string;
      detail?: string;
      invalid?: { field: string; error: string }[];
    };
    const parts = [
      e.error ?? `HTTP ${res.status}`,
      e.detail,
      ...(e.invalid ?? []).map((f) => `${f.field}: ${f.error}`),
    ];
    throw new ApiError(res.status, e.code ?? 0, parts.filter(Boolean).join(' — '));
  }
  return json as T;
}

export const enc = encodeURIComponent;
