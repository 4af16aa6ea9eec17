import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { domainError } from '../core/domain-error.js';
import type { Keyring } from '../core/keyring.js';
import type { DeliveryRecord, Store, WebhookEndpointRecord } from '../store/types.js';
import { EVENT_FAMILIES, EVENT_TYPES } from './catalog.js';
import { newWebhookSecret } from './signature.js';
import type { Subscriptions } from './subscriptions.js';

/** After a rotation the previous secret still signs this long, unless told otherwise (docs/events.md). */
export const DEFAULT_PREVIOUS_SECRET_MS = 24 * 60 * 60 * 1000;
/** `*`: every event type of the catalog, present and future. */
export const ALL_EVENTS = '*';

export interface NewEndpoint {
  tenant: string;
  url: string;
  events: string[];
  description?: string | undefined;
  enabled?: boolean | undefined;
}

export type EndpointChanges = Partial<Pick<WebhookEndpointRecord, 'url' | 'events' | 'description' | 'enabled'>>;

/** An endpoint with its secret in clear: what create and rotation answer, once. */
export interface EndpointWithSecret {
  endpoint: WebhookEndpointRecord;
  secret: string;
}

/** The keyring purpose of an endpoint's secrets: a seal opens only as this endpoint's secret. */
const purpose = (id: string) => `webhook-secret:${id}`;

/**
 * Webhook endpoints (docs/events.md), for the admin API and the CLI: an
 * endpoint belongs to one tenant and receives the event types it names.
 * Its signing secret is generated here, answered only by create and
 * rotation, and stored sealed under the keyring. Not-found answers are null,
 * for the caller to word; a missing tenant is NO_SUCH_TENANT, an event type
 * outside the catalog or a URL that is not http(s) INVALID_PARAM.
 */
export class WebhookEndpoints {
  constructor(
    private readonly store: Pick<Store, 'tenants' | 'webhooks' | 'outbox'>,
    private readonly keyring: Keyring,
    private readonly clock: Clock,
    /** Told of every change made here, so this instance raises the events at once. */
    private readonly subscriptions?: Subscriptions,
  ) {}

  /** Runs a change, then has this instance's subscriptions read again. */
  private async changed<T>(result: Promise<T>): Promise<T> {
    const r = await result;
    await this.subscriptions?.refresh();
    return r;
  }

  async create(e: NewEndpoint): Promise<EndpointWithSecret> {
    if (!(await this.store.tenants.get(e.tenant))) {
      throw domainError('NO_SUCH_TENANT', `No tenant with name "${e.tenant}" found`);
    }
    const id = `ep_${randomBytes(12).toString('base64url')}`;
    const secret = newWebhookSecret();
    const now = this.clock.now();
    const endpoint: WebhookEndpointRecord = {
      id,
      tenant: e.tenant,
      url: checkedUrl(e.url),
      events: checkedEvents(e.events),
      description: e.description ?? '',
      enabled: e.enabled ?? true,
      secret: this.keyring.seal(secret, purpose(id)),
      previousSecret: null,
      previousUntil: null,
      createdOn: now,
      updatedOn: now,
    };
    // Ids are 96 random bits: a clash is a broken random source, not a case to handle.
    if ((await this.changed(this.store.webhooks.create(endpoint))) === 'exists')
      throw new Error('webhook endpoint id clash');
    return { endpoint, secret };
  }

  list(tenant: string | null): Promise<WebhookEndpointRecord[]> {
    return this.store.webhooks.list(tenant);
  }

  get(id: string): Promise<WebhookEndpointRecord | null> {
    return this.store.webhooks.get(id);
  }

  async update(id: string, changes: EndpointChanges): Promise<WebhookEndpointRecord | null> {
    const current = await this.store.webhooks.get(id);
    if (!current) return null;
    const next: WebhookEndpointRecord = {
      ...current,
      ...(changes.url !== undefined ? { url: checkedUrl(changes.url) } : {}),
      ...(changes.events !== undefined ? { events: checkedEvents(changes.events) } : {}),
      ...(changes.description !== undefined ? { description: changes.description } : {}),
      ...(changes.enabled !== undefined ? { enabled: changes.enabled } : {}),
      updatedOn: this.clock.now(),
    };
    return (await this.changed(this.store.webhooks.replace(next))) ? next : null;
  }

  async delete(id: string): Promise<WebhookEndpointRecord | null> {
    const current = await this.store.webhooks.get(id);
    if (!current) return null;
    return (await this.changed(this.store.webhooks.delete(id))) ? current : null;
  }

  /**
   * A new secret; the current one keeps signing beside it for
   * `previousForMs` (0: it stops at once), so receivers can switch without
   * losing a delivery.
   */
  async rotateSecret(id: string, previousForMs = DEFAULT_PREVIOUS_SECRET_MS): Promise<EndpointWithSecret | null> {
    const current = await this.store.webhooks.get(id);
    if (!current) return null;
    const secret = newWebhookSecret();
    const now = this.clock.now();
    const next: WebhookEndpointRecord = {
      ...current,
      secret: this.keyring.seal(secret, purpose(id)),
      previousSecret: previousForMs > 0 ? current.secret : null,
      previousUntil: previousForMs > 0 ? now + previousForMs : null,
      updatedOn: now,
    };
    return (await this.store.webhooks.replace(next)) ? { endpoint: next, secret } : null;
  }

  /** The endpoint's deliveries, newest first; null when there is no such endpoint. */
  async deliveries(id: string, limit: number): Promise<DeliveryRecord[] | null> {
    if (!(await this.store.webhooks.get(id))) return null;
    return this.store.outbox.listDeliveries(id, limit);
  }

  /** The secrets that sign a delivery to the endpoint now: the current one, and the previous one while it lasts. */
  signingSecrets(e: WebhookEndpointRecord): string[] {
    const secrets = [this.keyring.open(e.secret, purpose(e.id))];
    if (e.previousSecret !== null && e.previousUntil !== null && this.clock.now() < e.previousUntil) {
      secrets.push(this.keyring.open(e.previousSecret, purpose(e.id)));
    }
    return secrets;
  }
}

function checkedUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw domainError('INVALID_PARAM', 'url is not a URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw domainError('INVALID_PARAM', 'url must be http:// or https://');
  }
  if (parsed.username || parsed.password) throw domainError('INVALID_PARAM', 'url may not carry credentials');
  return parsed.toString();
}

function checkedEvents(events: string[]): string[] {
  if (events.length === 0) throw domainError('INVALID_PARAM', 'events must name at least one event type, or *');
  const known = new Set<string>([ALL_EVENTS, ...EVENT_TYPES, ...EVENT_FAMILIES]);
  const unknown = events.filter((e) => !known.has(e));
  if (unknown.length > 0) throw domainError('INVALID_PARAM', `unknown event type: ${unknown.join(', ')}`);
  return [...new Set(events)];
}
