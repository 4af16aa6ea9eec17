/**
 * An error that already knows its HTTP answer. Each surface builds these from
 * its own catalog (`src/<surface>/errors.ts`); the server's error handler
 * sends `status`, `headers` and `body` as they are.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body.error === 'string' ? body.error : typeof body.message === 'string' ? body.message : 'error');
  }
}
