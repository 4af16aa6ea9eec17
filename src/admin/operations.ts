import { accessTokenOperations } from './access-tokens.js';
import { auditOperations } from './audit.js';
import type { AdminOperation } from './operation.js';
import { appOperations, grantOperations } from './oz.js';
import { profileOperations } from './profiles.js';
import { statsOperations } from './stats.js';
import { tenantOperations } from './tenants.js';
import { webhookOperations } from './webhooks.js';

/**
 * Every administrative operation: the admin API's routes (`plugin.ts`) and
 * the `ticketd admin` commands (`src/cli/admin.ts`) are both made from this
 * table, so they cannot drift apart. A new resource (Oz apps, grants) is one
 * more file of operations added here.
 */
export const ADMIN_OPERATIONS: readonly AdminOperation[] = [
  ...tenantOperations,
  ...profileOperations,
  ...accessTokenOperations,
  ...appOperations,
  ...grantOperations,
  ...webhookOperations,
  ...auditOperations,
  ...statsOperations,
];

/** The operation of `ticketd admin <resource> <verb>`. */
export function findOperation(resource: string, verb: string): AdminOperation | undefined {
  return ADMIN_OPERATIONS.find((op) => op.resource === resource && op.verb === verb);
}
