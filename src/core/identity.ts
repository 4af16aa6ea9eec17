import type { Store } from '../store/types.js';
import { AccessTokens } from './access-tokens.js';
import type { Clock } from './clock.js';
import type { Events } from './events.js';
import type { Keyring } from './keyring.js';
import { type LoginOptions, Logins } from './logins.js';
import { Passwords, type ScryptParams } from './passwords.js';
import { Profiles } from './profiles.js';
import { TenantAdmin, type Tenants } from './tenants.js';

/**
 * The identity domain — access tokens, tenant administration, profiles and
 * their sessions — built once on a store. The profile surface (`/api/1`)
 * uses it, and so can the admin API and the CLI: none of it knows HTTP.
 */
export interface Identity {
  /** Tenant reads, cached briefly (the same instance as every surface's). */
  tenants: Tenants;
  accessTokens: AccessTokens;
  tenantAdmin: TenantAdmin;
  profiles: Profiles;
  logins: Logins;
  passwords: Passwords;
}

export interface IdentityOptions extends LoginOptions {
  /** scrypt cost of new password hashes (tests use a low one). */
  scrypt?: ScryptParams;
  /** Wraps the password hasher (tracing: a span per hash, src/telemetry/tracing.ts). */
  instrumentPasswords?: (passwords: Passwords) => Passwords;
}

export function createIdentity(
  store: Store,
  keyring: Keyring,
  tenants: Tenants,
  clock: Clock,
  events: Events,
  options: IdentityOptions = {},
): Identity {
  const made = new Passwords(options.scrypt);
  const passwords = options.instrumentPasswords?.(made) ?? made;
  const profiles = new Profiles(store, passwords, clock, events, options.subscriptions);
  return {
    tenants,
    accessTokens: new AccessTokens(store, clock, keyring),
    tenantAdmin: new TenantAdmin(store, tenants, clock),
    profiles,
    logins: new Logins(store, tenants, profiles, passwords, clock, events, keyring, options),
    passwords,
  };
}
