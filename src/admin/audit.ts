import { Type } from '@sinclair/typebox';
import { type AdminOperation, type CliView, defineOperation } from './operation.js';
import { params } from './schemas.js';

/** The audit log (docs/admin.md, "Audit log"): every change made on the admin API, the Crafter management routes or with `ticketd admin`. */

const DEFAULT_LIMIT = 100;

export const AuditEntry = Type.Object(
  {
    id: Type.String({ description: 'Sorts as written; pass the last one as `before` for the next page.' }),
    at: Type.Integer({ description: 'Epoch milliseconds.' }),
    actor: Type.String({ description: '`cli`, or `token:` and the first 8 characters of the access token.' }),
    address: Type.Union([Type.String(), Type.Null()], { description: 'The client address; null on the CLI.' }),
    action: Type.String({ description: '<resource>.<verb>, as the CLI names the operation.' }),
    tenant: Type.Union([Type.String(), Type.Null()]),
    target: Type.Union([Type.String(), Type.Null()], { description: 'An id or a name; never a secret.' }),
    outcome: Type.String({ description: '`ok`, or the error code the change ended with.' }),
  },
  { description: 'One administrative change.' },
);

export const AuditPage = Type.Object({
  records: Type.Array(AuditEntry),
  next: Type.Union([Type.String(), Type.Null()], { description: 'The `before` of the next page; null on the last.' }),
});

const table: CliView = {
  rows: (r) => (r as { records: Record<string, unknown>[] }).records,
  columns: [
    { header: 'AT', key: 'at' },
    { header: 'ACTOR', key: 'actor' },
    { header: 'ACTION', key: 'action' },
    { header: 'TENANT', key: 'tenant' },
    { header: 'TARGET', key: 'target' },
    { header: 'OUTCOME', key: 'outcome' },
  ],
  footer: (r) => {
    const next = (r as { next: string | null }).next;
    return next ? `more: --before ${next}` : '';
  },
};

export const auditOperations: AdminOperation[] = [
  defineOperation({
    resource: 'audit',
    verb: 'list',
    summary: 'The audit log: administrative changes, newest first',
    description:
      'Every change made with the admin API, the Crafter management routes (/api/1) or `ticketd admin` ' +
      '(not the reads), with its actor, address, ' +
      'target and outcome; kept 90 days.',
    method: 'GET',
    path: '/audit',
    params: params({
      tenant: Type.Optional(Type.String({ maxLength: 200 })),
      actor: Type.Optional(Type.String({ maxLength: 200, description: 'e.g. cli, token:9f1c2b7e' })),
      action: Type.Optional(Type.String({ maxLength: 200, description: 'e.g. tenant.create' })),
      since: Type.Optional(Type.Integer({ minimum: 0, description: 'Epoch ms, inclusive.' })),
      until: Type.Optional(Type.Integer({ minimum: 0, description: 'Epoch ms, exclusive.' })),
      before: Type.Optional(Type.String({ maxLength: 100, description: 'The `next` of the previous page.' })),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: `Default ${DEFAULT_LIMIT}.` })),
    }),
    result: AuditPage,
    errors: [],
    cli: { view: table },
    run: async ({ audit }, { limit, ...filter }) => {
      const n = limit ?? DEFAULT_LIMIT;
      const records = audit ? await audit.list(filter, n) : [];
      return { records, next: records.length === n ? (records.at(-1)?.id ?? null) : null };
    },
  }),
];
