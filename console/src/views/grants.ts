import { call, enc } from '../api.js';
import { form, h, notify, table, when } from '../dom.js';
import type { GrantView } from '../types.js';

export async function grantsView(root: HTMLElement, filter: { app?: string; user?: string } = {}): Promise<void> {
  const q = new URLSearchParams();
  if (filter.app) q.set('app', filter.app);
  if (filter.user) q.set('user', filter.user);
  const grants = await call<GrantView[]>('GET', `/grants${q.size ? `?${q}` : ''}`);
  root.replaceChildren(
    h('h2', {}, 'Grants'),
    h(
      'p',
      { class: 'hint' },
      'A grant lets an app act for a person until it expires, is revoked, or the session it came from ends.',
    ),
    form(
      'Filter',
      [
        { name: 'app', label: 'app id', value: filter.app ?? '' },
        { name: 'user', label: 'profile id', value: filter.user ?? '' },
      ],
      'Show',
      async (v) => grantsView(root, { app: v.app, user: v.user }),
    ),
    table(['id', 'tenant', 'app', 'user', 'scope', 'expires', 'created', ''], grants, (g) => [
      h('code', {}, `${g.id.slice(0, 10)}…`),
      g.tenant,
      g.app,
      h('code', {}, g.user),
      g.scope.join(' '),
      when(g.exp),
      when(g.createdOn),
      h(
        'button',
        {
          class: 'danger',
          'data-grant': g.id,
          onclick: async () => {
            await call('DELETE', `/grants/${enc(g.id)}`).catch(notify);
            notify('Grant revoked: its tickets can no longer be reissued', 'ok');
            await grantsView(root, filter);
          },
        },
        'Revoke',
      ),
    ]),
  );
}
