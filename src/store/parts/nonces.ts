/** Hawk nonces (docs/oz.md): a (credentials id, nonce) pair is accepted once within its window, on every instance. */
export interface NonceStore {
  /**
   * Records that `(credentialId, nonce)` was seen, unless it was already seen
   * and has not expired; returns true the first time only. Atomic across
   * every instance sharing the store: of concurrent calls with one pair,
   * exactly one returns true. The record lives until `expiresAt`.
   */
  use(credentialId: string, nonce: string, now: number, expiresAt: number): Promise<boolean>;
  /** Up to `limit` expired nonces; how many. */
  purge(now: number, limit: number): Promise<number>;
}
