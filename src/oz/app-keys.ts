import { Keyring, SealUnreadableError } from '../core/keyring.js';
import type { AppStore, OzAppRecord } from '../store/types.js';

/**
 * Oz app keys at rest: sealed under the keyring (src/core/keyring.ts),
 * bound to their app, so a copy of the store signs no request. An app
 * ticket carries a fingerprint of the key its app had when it was issued
 * (in the seal's private ext), so rotating the key ends them.
 */

const purpose = (appId: string) => `oz app key:${appId}`;

export const sealAppKey = (keyring: Keyring, appId: string, key: string): string => keyring.seal(key, purpose(appId));

/** The app with its key opened; null when the key was sealed under a retired keyring key. */
export function withOpenKey(keyring: Keyring, app: OzAppRecord): OzAppRecord | null {
  try {
    return { ...app, key: keyring.open(app.key, purpose(app.id)) };
  } catch (err) {
    if (err instanceof SealUnreadableError) return null;
    throw err;
  }
}

/** What app tickets carry of their app's key: a keyed digest, never the key. */
export const appKeyFingerprint = (keyring: Keyring, app: OzAppRecord): string =>
  keyring.digest('oz app key fingerprint', `${app.id}\0${app.key}`).subarray(0, 12).toString('base64url');

/**
 * Seals the keys an earlier ticketd kept in clear, and seals again under
 * the current keyring key those sealed under an older one (after `ticketd
 * keys rotate`), so that the older key can be retired without ending the
 * apps. Runs at every start and `ticketd migrate`: a store whose keys are
 * all sealed under the current key costs one listing. Concurrent starts may
 * both seal one key: either seal opens to the same key. Returns how many
 * keys were sealed.
 */
export async function sealAppKeys(apps: AppStore, keyring: Keyring): Promise<number> {
  let sealed = 0;
  for (const app of await apps.list(null)) {
    const under = Keyring.sealedWith(app.key);
    if (under === keyring.current) continue;
    const clear = under === undefined ? app.key : withOpenKey(keyring, app)?.key;
    if (clear === undefined) continue; // sealed under a retired key: the app is unusable until its key is rotated
    await apps.setKey(app.id, sealAppKey(keyring, app.id, clear));
    sealed += 1;
  }
  return sealed;
}
