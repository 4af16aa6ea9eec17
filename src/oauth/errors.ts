import { ApiError } from '../http/api-error.js';

/**
 * The errors of the introspection and revocation endpoints (docs/oauth.md),
 * as RFC 6749 §5.2, RFC 6750 §3 and RFC 7009 §2.2.1 spell them: a body
 * `{"error", "error_description"}`; a refused bearer token also in
 * `WWW-Authenticate`. docs/errors.md lists them (test/errors-catalog.test.ts).
 */
export const oauthErrors = {
  invalidRequest: { status: 400, error: 'invalid_request' },
  invalidToken: { status: 401, error: 'invalid_token' },
  unsupportedTokenType: { status: 400, error: 'unsupported_token_type' },
  temporarilyUnavailable: { status: 503, error: 'temporarily_unavailable' },
} as const;

export type OAuthErrorName = keyof typeof oauthErrors;

export function oauthError(name: OAuthErrorName, description: string): ApiError {
  const e = oauthErrors[name];
  const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
  if (name === 'invalidToken') {
    headers['WWW-Authenticate'] = `Bearer error="invalid_token", error_description="${description}"`;
  }
  return new ApiError(e.status, { error: e.error, error_description: description }, headers);
}
