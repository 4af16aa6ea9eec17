import { Type } from '@sinclair/typebox';
import type { DeliveryRecord, WebhookEndpointRecord } from '../store/types.js';
import { EVENT_FAMILIES, EVENT_TYPES } from '../webhooks/catalog.js';
import { ALL_EVENTS, DEFAULT_PREVIOUS_SECRET_MS } from '../webhooks/endpoints.js';
import { adminError } from './errors.js';
import { type AdminOperation, type CliView, defineOperation } from './operation.js';
import { params } from './schemas.js';

/**
 * Webhook endpoints (docs/events.md), on the endpoints service
 * (src/webhooks/endpoints.ts): create answers the signing secret once,
 * rotation answers a new one; lists and reads never show a secret.
 */

const EndpointId = Type.String({ pattern: '^ep_[A-Za-z0-9_-]{1,100}$', description: 'The endpoint id (ep_…).' });
const Url = Type.String({
  minLength: 1,
  maxLength: 2000,
  description: 'Where events are POSTed: http:// or https://.',
});
const Events = Type.Array(Type.String({ maxLength: 100 }), {
  minItems: 1,
  maxItems: 100,
  uniqueItems: true,
  description: `Event types it receives (${EVENT_TYPES.join(', ')}), a family (${EVENT_FAMILIES.join(', ')}), or ${ALL_EVENTS} for every one.`,
});
const Description = Type.String({ maxLength: 500, description: 'A note for administrators.' });

const endpointFields = {
  id: Type.String(),
  tenant: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  description: Type.String(),
  enabled: Type.Boolean({ description: 'Disabled endpoints receive nothing.' }),
  previousSecretUntil: Type.Union([Type.Integer(), Type.Null()], {
    description: 'After a rotation: until when (epoch ms) the previous secret also signs; null when it does not.',
  }),
  createdOn: Type.Integer({ description: 'Epoch milliseconds.' }),
  updatedOn: Type.Integer({ description: 'Epoch milliseconds.' }),
};

export const WebhookEndpoint = Type.Object(endpointFields, { description: 'A webhook endpoint, without its secret.' });
export const WebhookEndpointWithSecret = Type.Object(
  {
    ...endpointFields,
    secret: Type.String({ description: 'The signing secret (whsec_…): shown only here, keep it safe.' }),
  },
  { description: 'A webhook endpoint with its signing secret (create and rotation only).' },
);

export function endpointView(e: WebhookEndpointRecord) {
  return {
    id: e.id,
    tenant: e.tenant,
    url: e.url,
    events: [...e.events],
    description: e.description,
    enabled: e.enabled,
    previousSecretUntil: e.previousUntil,
    createdOn: e.createdOn,
    updatedOn: e.updatedOn,
  };
}

export const Delivery = Type.Object(
  {
    eventId: Type.String({ description: 'The event id: the webhook-id header of every attempt.' }),
    type: Type.String(),
    status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
    attempts: Type.Integer(),
    nextAttemptAt: Type.Union([Type.Integer(), Type.Null()], {
      description: 'Pending: when the next attempt is due (epoch ms); null otherwise.',
    }),
    lastStatus: Type.Union([Type.Integer(), Type.Null()], { description: 'The HTTP status of the last attempt.' }),
    lastError: Type.Union([Type.String(), Type.Null()], { description: 'Why the last attempt failed.' }),
    createdAt: Type.Integer({ description: 'Epoch milliseconds.' }),
    updatedAt: Type.Integer({ description: 'Epoch milliseconds.' }),
  },
  { description: 'One event to one endpoint.' },
);

const deliveryView = (d: DeliveryRecord) => ({
  eventId: d.eventId,
  type: d.type,
  status: d.status,
  attempts: d.attempts,
  nextAttemptAt: d.status === 'pending' ? d.nextAt : null,
  lastStatus: d.lastStatus,
  lastError: d.lastError,
  createdAt: d.createdAt,
  updatedAt: d.updatedAt,
});

const deliveryTable: CliView = {
  rows: (r) => r as Record<string, unknown>[],
  columns: [
    { header: 'EVENT', key: 'eventId' },
    { header: 'TYPE', key: 'type' },
    { header: 'STATUS', key: 'status' },
    { header: 'ATTEMPTS', key: 'attempts' },
    { header: 'LAST STATUS', key: 'lastStatus' },
    { header: 'LAST ERROR', key: 'lastError' },
  ],
};

function found(e: WebhookEndpointRecord | null, id: string): WebhookEndpointRecord {
  if (!e) throw adminError('webhookNotFound', `No webhook endpoint with id "${id}"`);
  return e;
}

const table: CliView = {
  rows: (r) => r as Record<string, unknown>[],
  columns: [
    { header: 'ID', key: 'id' },
    { header: 'TENANT', key: 'tenant' },
    { header: 'URL', key: 'url' },
    { header: 'EVENTS', key: 'events' },
    { header: 'ENABLED', key: 'enabled' },
  ],
};

const SECRET_NOTICE = 'ticketd admin: the secret above is shown only this once; keep it safe.';
const byId = params({ id: EndpointId });

export const webhookOperations: AdminOperation[] = [
  defineOperation({
    resource: 'webhook',
    verb: 'list',
    summary: 'List webhook endpoints (of one tenant, or all), oldest first; never their secrets',
    method: 'GET',
    path: '/webhooks',
    params: params({ tenant: Type.Optional(Type.String({ maxLength: 200, description: 'Only this tenant’s.' })) }),
    result: Type.Array(WebhookEndpoint),
    errors: [],
    cli: { view: table },
    run: async ({ webhooks }, p) => (await webhooks.list(p.tenant ?? null)).map(endpointView),
  }),
  defineOperation({
    resource: 'webhook',
    verb: 'get',
    summary: 'Show a webhook endpoint, without its secret',
    method: 'GET',
    path: '/webhooks/:id',
    params: byId,
    result: WebhookEndpoint,
    errors: ['webhookNotFound'],
    run: async ({ webhooks }, p) => endpointView(found(await webhooks.get(p.id), p.id)),
  }),
  defineOperation({
    resource: 'webhook',
    verb: 'create',
    summary: 'Subscribe a URL to a tenant’s events; its signing secret is shown this once',
    description:
      'Deliveries are signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature); ' +
      'docs/events.md lists the event types and their data.',
    method: 'POST',
    path: '/webhooks',
    status: 201,
    params: params({
      url: Url,
      events: Events,
      tenant: Type.Optional(Type.String({ maxLength: 200, description: 'Default `default`.' })),
      description: Type.Optional(Description),
      enabled: Type.Optional(Type.Boolean({ description: 'Default true.' })),
    }),
    result: WebhookEndpointWithSecret,
    errors: ['tenantNotFound', 'invalidValue'],
    cli: { notice: SECRET_NOTICE },
    run: async ({ webhooks }, p) => {
      const { endpoint, secret } = await webhooks.create({ ...p, tenant: p.tenant ?? 'default' });
      return { ...endpointView(endpoint), secret };
    },
  }),
  defineOperation({
    resource: 'webhook',
    verb: 'update',
    summary: 'Change a webhook endpoint’s URL, events, description or whether it is enabled',
    method: 'PATCH',
    path: '/webhooks/:id',
    params: params({
      id: EndpointId,
      url: Type.Optional(Url),
      events: Type.Optional(Events),
      description: Type.Optional(Description),
      enabled: Type.Optional(Type.Boolean()),
    }),
    result: WebhookEndpoint,
    errors: ['webhookNotFound', 'invalidValue'],
    run: async ({ webhooks }, { id, ...changes }) => endpointView(found(await webhooks.update(id, changes), id)),
  }),
  defineOperation({
    resource: 'webhook',
    verb: 'rotate-secret',
    summary: 'Give a webhook endpoint a new signing secret; shown this once',
    description:
      'Deliveries carry a signature of each secret while the previous one lasts (`previousSecretForMs`, ' +
      `default ${DEFAULT_PREVIOUS_SECRET_MS} ms, 0: it stops at once), so a receiver can switch without ` +
      'refusing one.',
    method: 'POST',
    path: '/webhooks/:id/secret',
    params: params({
      id: EndpointId,
      previousSecretForMs: Type.Optional(
        Type.Integer({ minimum: 0, maximum: 7 * DEFAULT_PREVIOUS_SECRET_MS, description: 'Default 24 h.' }),
      ),
    }),
    result: WebhookEndpointWithSecret,
    errors: ['webhookNotFound'],
    cli: { notice: SECRET_NOTICE },
    run: async ({ webhooks }, p) => {
      const rotated = await webhooks.rotateSecret(p.id, p.previousSecretForMs);
      const { endpoint, secret } = rotated ?? { endpoint: found(null, p.id), secret: '' };
      return { ...endpointView(endpoint), secret };
    },
  }),
  defineOperation({
    resource: 'webhook',
    verb: 'deliveries',
    summary: 'The recent deliveries of a webhook endpoint, newest first, with their status',
    description:
      'Delivered and failed deliveries stay listed for a day. A pending one is retried after 1 s, 5 s, 30 s, ' +
      'then at doubling intervals up to an hour, and marked failed a day after its event.',
    method: 'GET',
    path: '/webhooks/:id/deliveries',
    params: params({
      id: EndpointId,
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Default 100.' })),
    }),
    result: Type.Array(Delivery),
    errors: ['webhookNotFound'],
    cli: { view: deliveryTable },
    run: async ({ webhooks }, p) => {
      const list = await webhooks.deliveries(p.id, p.limit ?? 100);
      if (!list) throw adminError('webhookNotFound', `No webhook endpoint with id "${p.id}"`);
      return list.map(deliveryView);
    },
  }),
  defineOperation({
    resource: 'webhook',
    verb: 'delete',
    summary: 'Delete a webhook endpoint; returns it as it was',
    method: 'DELETE',
    path: '/webhooks/:id',
    params: byId,
    result: WebhookEndpoint,
    errors: ['webhookNotFound'],
    run: async ({ webhooks }, p) => endpointView(found(await webhooks.delete(p.id), p.id)),
  }),
];
