import type { WebhookEndpointRecord, WebhookStore } from '../parts/webhooks.js';
import type { RedisContext } from './connection.js';

/**
 * Webhook endpoints on Redis: every endpoint of the deployment in one HASH
 * (`P webhooks`, endpoint id -> JSON), so that each operation is one command
 * and a tenant's endpoints go in deleteTenant's script (oz-scripts.ts). A
 * deployment has few endpoints (an administrator makes each): list reads
 * them all and keeps the tenant's.
 */
export class RedisWebhooks implements WebhookStore {
  constructor(private readonly x: RedisContext) {}

  async create(e: WebhookEndpointRecord): Promise<'created' | 'exists'> {
    const { conn, redis, keys } = this.x;
    const created = await conn.run(() => redis.hsetnx(keys.webhooks, e.id, JSON.stringify(e)));
    return created === 1 ? 'created' : 'exists';
  }

  async get(id: string): Promise<WebhookEndpointRecord | null> {
    const { conn, redis, keys } = this.x;
    const json = await conn.read(() => redis.hget(keys.webhooks, id));
    return json === null ? null : (JSON.parse(json) as WebhookEndpointRecord);
  }

  async list(tenant: string | null): Promise<WebhookEndpointRecord[]> {
    const { conn, redis, keys } = this.x;
    const all = (await conn.read(() => redis.hvals(keys.webhooks))).map((j) => JSON.parse(j) as WebhookEndpointRecord);
    return all
      .filter((e) => tenant === null || e.tenant === tenant)
      .sort((a, b) => a.createdOn - b.createdOn || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async replace(e: WebhookEndpointRecord): Promise<boolean> {
    const { conn, redis, keys } = this.x;
    const replaced = await conn.run(() => redis.ticketdReplaceField(keys.webhooks, e.id, JSON.stringify(e)));
    return replaced === 1;
  }

  async delete(id: string): Promise<boolean> {
    const { conn, redis, keys } = this.x;
    return (await conn.run(() => redis.hdel(keys.webhooks, id))) === 1;
  }
}
