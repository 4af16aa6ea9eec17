import { call, enc } from '../api.js';
import { confirmed, form, h, list, notify, table, when } from '../dom.js';
import type { ProfilePageView, ProfileView, TenantView } from '../types.js';

export async function profilesView(root: HTMLElement, tenant?: string): Promise<void> {
  const tenants = await call<TenantView[]>('GET', '/tenants');
  const current = tenant ?? tenants[0]?.name ?? 'default';
  const page = await call<ProfilePageView>('GET', `/profiles?tenant=${enc(current)}&limit=100`);
  const act = (p: ProfileView, what: 'enable' | 'disable' | 'unlock') => async () => {
    await call('POST', `/profiles/${enc(p.id)}/${what}`).catch(notify);
    notify(`${p.username}: ${what}d`, 'ok');
    await profilesView(root, current);
  };
  const picker = h(
    'select',
    { name: 'tenant', onchange: (e) => void profilesView(root, (e.target as HTMLSelectElement).value).catch(notify) },
    tenants.map((t) => {
      const o = h('option', { value: t.name }, t.name);
      o.selected = t.name === current;
      return o;
    }),
  );
  root.replaceChildren(
    h('h2', {}, 'Profiles'),
    h('p', {}, h('label', { class: 'inline' }, 'Tenant ', picker), ` ${page.total} profiles`),
    table(
      ['username', 'email', 'enabled', 'failed logins', 'locked until', 'roles', 'created', ''],
      page.profiles,
      (p) => [
        h('strong', {}, p.username),
        p.email,
        p.enabled ? 'yes' : 'no',
        p.failedLoginAttempts,
        when(p.lockedUntil),
        p.roles.join(', '),
        when(p.createdOn),
        h(
          'span',
          { class: 'actions', 'data-profile': p.username },
          p.enabled
            ? h('button', { onclick: act(p, 'disable') }, 'Disable')
            : h('button', { onclick: act(p, 'enable') }, 'Enable'),
          p.lockedUntil !== null || p.failedLoginAttempts > 0
            ? h('button', { onclick: act(p, 'unlock') }, 'Unlock')
            : null,
          h(
            'button',
            {
              class: 'danger',
              onclick: async () => {
                if (!confirmed(`Delete ${p.username}?`)) return;
                await call('DELETE', `/profiles/${enc(p.id)}`).catch(notify);
                await profilesView(root, current);
              },
            },
            'Delete',
          ),
        ),
      ],
    ),
    form(
      `New profile in ${current}`,
      [
        { name: 'username', label: 'username', required: true },
        { name: 'password', label: 'password', type: 'password', required: true },
        { name: 'email', label: 'e-mail', type: 'email', required: true },
        { name: 'roles', label: 'roles (comma-separated)' },
      ],
      'Create profile',
      async (v) => {
        await call('POST', '/profiles', {
          tenant: current,
          username: v.username,
          password: v.password,
          email: v.email,
          roles: list(v.roles ?? ''),
        });
        notify(`Profile ${v.username} created`, 'ok');
        await profilesView(root, current);
      },
    ),
  );
}
