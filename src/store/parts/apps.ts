import type { OutboxEvent } from './outbox.js';

export interface OzAppRecord {
  /** The app id, e.g. `com.example.mymylet` (Hawk credentials id). */
  id: string;
  tenant: string;
  /** The Hawk key (at least 32 characters). Backends may store it sealed; they return it as given. */
  key: string;
  algorithm: 'sha256';
  scope: string[];
  /** May this app reissue tickets to other apps (`issueTo`)? */
  delegate: boolean;
  /** Profile attributes copied into the user ticket's public `ext`. */
  extAttributes: string[];
  createdOn: number;
}

/** Oz apps (docs/oz.md). A tenant's apps, with their grants, go with the tenant: `Store.deleteTenant`. */
export interface AppStore {
  /** Inserts the app; `exists` when the id is taken (ids are global, not per tenant). */
  create(app: OzAppRecord): Promise<'created' | 'exists'>;
  get(id: string): Promise<OzAppRecord | null>;
  /** Apps of one tenant (or of every tenant when null), ordered by id. */
  list(tenant: string | null): Promise<OzAppRecord[]>;
  /** Replaces the key (rotation); null when there is no such app. `event` is written with it, only when there was one. */
  setKey(id: string, key: string, event?: OutboxEvent): Promise<OzAppRecord | null>;
  /** Removes the app and its grants in one step. */
  delete(id: string): Promise<boolean>;
}
