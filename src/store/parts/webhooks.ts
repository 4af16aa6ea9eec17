/** A webhook endpoint of a tenant (docs/events.md): where its events go and how they are signed. */
export interface WebhookEndpointRecord {
  /** `ep_` + random: public, names the endpoint in the admin API and in deliveries. */
  id: string;
  tenant: string;
  url: string;
  /** Event types of the catalog (src/webhooks/catalog.ts) it receives; `*`: every one. */
  events: string[];
  description: string;
  enabled: boolean;
  /** The signing secret (`whsec_…`) sealed by the keyring; never in clear in the store. */
  secret: string;
  /** After a rotation: the previous secret, sealed, which also signs until previousUntil (epoch ms). */
  previousSecret: string | null;
  previousUntil: number | null;
  createdOn: number;
  updatedOn: number;
}

/** Webhook endpoints. A tenant's go with it: `Store.deleteTenant`. */
export interface WebhookStore {
  /** Inserts the endpoint; `exists` when the id is taken. */
  create(endpoint: WebhookEndpointRecord): Promise<'created' | 'exists'>;
  get(id: string): Promise<WebhookEndpointRecord | null>;
  /** Endpoints of one tenant (or of every tenant when null), oldest first (createdOn, then id). */
  list(tenant: string | null): Promise<WebhookEndpointRecord[]>;
  /** Writes every field of an existing endpoint (its id and tenant unchanged); false when there is none. */
  replace(endpoint: WebhookEndpointRecord): Promise<boolean>;
  delete(id: string): Promise<boolean>;
}
