import './style.css';
import { ApiError, call, token } from './api.js';
import { h, notify } from './dom.js';
import { activityView } from './views/activity.js';
import { appsView } from './views/apps.js';
import { auditView } from './views/audit.js';
import { grantsView } from './views/grants.js';
import { profilesView } from './views/profiles.js';
import { tenantsView } from './views/tenants.js';
import { tokensView } from './views/tokens.js';
import { webhooksView } from './views/webhooks.js';

/**
 * ticketd's admin console: a page of ticketd's own (/console) over the
 * admin API, signed in with the master token. Views by URL hash.
 */
/** Draws itself into `root`; a live view answers how to stop it. */
type View = (root: HTMLElement) => Promise<unknown>;

const VIEWS: [string, string, View][] = [
  ['tenants', 'Tenants', tenantsView],
  ['profiles', 'Profiles', (root) => profilesView(root)],
  ['tokens', 'Access tokens', tokensView],
  ['apps', 'Oz apps', appsView],
  ['grants', 'Grants', (root) => grantsView(root)],
  ['activity', 'Live tickets', activityView],
  ['webhooks', 'Webhooks', (root) => webhooksView(root)],
  ['audit', 'Audit log', (root) => auditView(root)],
];

const app = document.getElementById('app') as HTMLElement;
let stop: (() => void) | undefined;

function signIn(message?: string): void {
  stop?.();
  const input = h('input', {
    type: 'password',
    name: 'token',
    placeholder: 'master access token',
    autocomplete: 'off',
    required: true,
  });
  const f = h(
    'form',
    { class: 'card signin' },
    h('h2', {}, 'ticketd console'),
    h('p', {}, 'Sign in with a master access token (TICKETD_MASTER_TOKEN, or the one printed at the first start).'),
    message ? h('p', { class: 'notice error' }, message) : null,
    input,
    h('button', { type: 'submit' }, 'Sign in'),
  );
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    token.set(input.value);
    try {
      await call('GET', '/stats');
      location.hash = '#tenants';
      show();
    } catch (err) {
      token.clear();
      signIn(err instanceof ApiError && err.status === 401 ? 'That is not a master access token.' : String(err));
    }
  });
  app.replaceChildren(f);
  input.focus();
}

async function show(): Promise<void> {
  stop?.();
  stop = undefined;
  if (!token.get()) return signIn();
  const current = location.hash.slice(1) || 'tenants';
  const main = h('main');
  app.replaceChildren(
    h(
      'header',
      {},
      h('h1', {}, 'ticketd'),
      h(
        'nav',
        {},
        VIEWS.map(([id, label]) => h('a', { href: `#${id}`, class: id === current ? 'active' : undefined }, label)),
      ),
      h(
        'button',
        {
          class: 'link',
          onclick: () => {
            token.clear();
            signIn();
          },
        },
        'Sign out',
      ),
    ),
    h('div', { id: 'notice', class: 'notice' }),
    main,
  );
  const view = (VIEWS.find(([id]) => id === current) ?? VIEWS[0])?.[2] as View;
  try {
    const stopper = await view(main);
    if (typeof stopper === 'function') stop = stopper as () => void;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      token.clear();
      return signIn('The master token was refused; sign in again.');
    }
    notify(err);
  }
}

window.addEventListener('hashchange', () => void show());
void show();
