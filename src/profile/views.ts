import type { TenantRecord } from '../store/types.js';

/** A tenant as answered to clients: Crafter's fields, then ticketd's settings. */
export function tenantView(t: TenantRecord) {
  const s = t.settings;
  return {
    name: t.name,
    verifyNewProfiles: s.verifyNewProfiles,
    availableRoles: s.availableRoles,
    ticketMax: s.ticketMax,
    ticketMaxPayloadLength: s.ticketMaxPayloadLength,
    loginTicketMaxAge: s.loginTicketMaxAge,
    persistentLoginMaxAge: s.persistentLoginMaxAge,
    failedLoginAttemptsBeforeDelay: s.failedLoginAttemptsBeforeDelay,
    failedLoginAttemptsBeforeLock: s.failedLoginAttemptsBeforeLock,
    lockTime: s.lockTime,
  };
}
