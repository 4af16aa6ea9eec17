/** Process-wide values every instance on the store shares (the master token's creation, generated secrets). */
export interface MetaStore {
  get(key: string): Promise<string | null>;
  /**
   * Sets the value only when the key has none; returns the value the key
   * holds afterwards. Of concurrent calls from several instances exactly one
   * value wins and every caller gets that value back.
   */
  putIfAbsent(key: string, value: string): Promise<string>;
  /** Sets the value, whatever the key held. */
  put(key: string, value: string): Promise<void>;
  /** Removes the key; false when it held nothing. */
  delete(key: string): Promise<boolean>;
}
