import { Type } from '@sinclair/typebox';
import { ACTIVITY_MINUTES } from '../core/activity.js';
import { adminError } from './errors.js';
import { type AdminOperation, defineOperation } from './operation.js';
import { Activity, params, Stats } from './schemas.js';

export const statsOperations: AdminOperation[] = [
  defineOperation({
    resource: 'stats',
    verb: 'show',
    summary: 'Live opaque tickets and profiles per tenant',
    description:
      'Tickets as the store counts them for `ticketMax`: expired tickets not yet purged (within `purge.interval_ms`) are included.',
    method: 'GET',
    path: '/stats',
    params: params({}),
    result: Stats,
    errors: [],
    cli: {
      view: {
        rows: (r) => {
          const s = r as { tenants: Record<string, unknown>[]; total: Record<string, unknown> };
          return [...s.tenants, { tenant: 'TOTAL', tickets: s.total.tickets, profiles: s.total.profiles }];
        },
        columns: [
          { header: 'TENANT', key: 'tenant' },
          { header: 'TICKETS', key: 'tickets' },
          { header: 'PROFILES', key: 'profiles' },
        ],
      },
    },
    run: ({ identity }) => identity.tenantAdmin.stats(),
  }),
  defineOperation({
    resource: 'activity',
    verb: 'show',
    summary: 'Tickets created, used and expired per tenant and minute (this instance, the last hour)',
    description:
      'What this ticketd process saw of its lifecycle events: the admin console draws it. A running server keeps ' +
      'it in memory, so the CLI, which runs beside no server, answers 409 operation not allowed.',
    method: 'GET',
    path: '/activity',
    params: params({
      minutes: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: ACTIVITY_MINUTES,
          description: `Minutes back (default ${ACTIVITY_MINUTES}).`,
        }),
      ),
    }),
    result: Activity,
    errors: ['notAllowed'],
    run: async ({ activity }, p) => {
      if (!activity) throw adminError('notAllowed', 'activity is kept by a running server: GET /admin/v1/activity');
      return activity.snapshot(p.minutes ?? ACTIVITY_MINUTES);
    },
  }),
];
