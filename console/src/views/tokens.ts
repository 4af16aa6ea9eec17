import { call, enc } from '../api.js';
import { form, h, list, notify, showOnce, table, when } from '../dom.js';
import type { AccessTokenView } from '../types.js';

export async function tokensView(root: HTMLElement): Promise<void> {
  const tokens = await call<AccessTokenView[]>('GET', '/access-tokens');
  root.replaceChildren(
    h('h2', {}, 'Access tokens'),
    h(
      'p',
      { class: 'hint' },
      'Ids are stored hashed: a token is shown once, when it is made. Revoke one with its full id.',
    ),
    table(['id', 'application', 'master', 'permissions', 'expires'], tokens, (t) => [
      h('code', {}, `${t.idPrefix}…`),
      t.application,
      t.master ? 'yes' : 'no',
      t.tenantPermissions.map((p) => `${p.tenant}: ${p.allowedActions.join(' ')}`).join('; '),
      when(t.expiresOn),
    ]),
    form(
      'New access token',
      [
        { name: 'application', label: 'application', required: true, placeholder: 'shop-backend' },
        { name: 'tenant', label: 'tenant (or *)', required: true, placeholder: 'shop' },
        {
          name: 'actions',
          label: 'actions (comma-separated, or *)',
          required: true,
          placeholder: 'MANAGE_PROFILES, MANAGE_TICKETS',
        },
      ],
      'Create token',
      async (v) => {
        const made = await call<AccessTokenView>('POST', '/access-tokens', {
          application: v.application,
          tenantPermissions: [{ tenant: v.tenant, allowedActions: list(v.actions ?? '') }],
        });
        showOnce('New access token', made.id ?? '', 'This is the only time the token is shown: keep it safe.');
        await tokensView(root);
      },
    ),
    form('Revoke a token', [{ name: 'id', label: 'its full id', required: true }], 'Revoke', async (v) => {
      await call('DELETE', `/access-tokens/${enc(v.id ?? '')}`);
      notify('Token revoked', 'ok');
      await tokensView(root);
    }),
  );
}
