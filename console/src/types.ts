/** What the admin API answers, typed from the schemas it validates and documents with (src/admin). */
import type { Static } from '@sinclair/typebox';
import type { AuditPage } from '../../src/admin/audit.js';
import type { App, AppWithKey, Grant } from '../../src/admin/oz.js';
import type { AccessToken, Activity, Profile, ProfilePage, Tenant } from '../../src/admin/schemas.js';
import type { Delivery, WebhookEndpoint, WebhookEndpointWithSecret } from '../../src/admin/webhooks.js';

export type TenantView = Static<typeof Tenant>;
export type ProfileView = Static<typeof Profile>;
export type ProfilePageView = Static<typeof ProfilePage>;
export type AccessTokenView = Static<typeof AccessToken>;
export type AppView = Static<typeof App>;
export type AppWithKeyView = Static<typeof AppWithKey>;
export type GrantView = Static<typeof Grant>;
export type ActivityView = Static<typeof Activity>;
export type WebhookView = Static<typeof WebhookEndpoint>;
export type WebhookWithSecretView = Static<typeof WebhookEndpointWithSecret>;
export type DeliveryView = Static<typeof Delivery>;
export type AuditPageView = Static<typeof AuditPage>;
