import { ClientError } from '../../api/errors.js';
import { createView } from './create.js';
import { h, replace } from './dom.js';
import { fleetView } from './fleet.js';
import { LiveFeed, type LiveEvent, type LiveState } from './live.js';
import { nodeView } from './node.js';
import { errorText, login, type Session } from './session.js';
import type { View, ViewContext } from './view.js';
import { vmView } from './vm.js';
import { vmsView } from './vms.js';

const LIVE_TEXT: Record<LiveState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  polling: 'Refreshing every 2 s',
};

/** route picks the view for a hash route such as #/nodes/n1. */
function route(ctx: ViewContext, hash: string): View {
  const [, what, id] = hash.replace(/^#/, '').split('/');
  if (what === 'nodes' && id && ctx.session.admin) return nodeView(ctx, decodeURIComponent(id));
  if (what === 'vms' && id) return vmView(ctx, decodeURIComponent(id));
  if (what === 'vms') return vmsView(ctx);
  if (what === 'create' && !ctx.session.admin) return createView(ctx);
  return fleetView(ctx);
}

/** start runs the signed-in app: shell, router, live feed and the refresh timer. */
function start(root: HTMLElement, session: Session): void {
  const events: LiveEvent[] = [];
  const main = h('main', { id: 'main', tabindex: -1 });
  const live = h('span', { class: 'live', role: 'status', 'data-testid': 'live' });
  const problem = h('p', { class: 'error', role: 'alert', 'data-testid': 'problem' });
  const ctx: ViewContext = { session, events, go: navigate };
  let view: View | null = null;
  let pending: ReturnType<typeof setTimeout> | undefined;
  let pollMs = 5000;
  let feedState: LiveState = 'connecting';
  let reachable = true;
  // the indicator shows the stream's state, or reconnecting while API calls cannot reach the coordinator
  const indicate = () => {
    const s = reachable ? feedState : 'reconnecting';
    live.dataset.state = s;
    replace(live, LIVE_TEXT[s]);
  };
  const refresh = async () => {
    try {
      await view?.refresh();
      replace(problem);
      reachable = true;
      root.dataset.refreshed = String(Date.now());
    } catch (err) {
      reachable = !(err instanceof ClientError && err.code === 'unreachable');
      replace(problem, errorText(err));
    }
    indicate();
  };
  const soon = () => {
    clearTimeout(pending);
    pending = setTimeout(refresh, 150);
  };
  const show = () => {
    view?.close?.();
    view = route(ctx, location.hash);
    document.title = `${view.title} · vmpool`;
    replace(main, view.el);
    void refresh();
  };
  const feed = new LiveFeed({
    token: session.token,
    onEvent: (e) => {
      events.push(e);
      if (events.length > 1000) events.splice(0, events.length - 1000);
      view?.onEvent?.(e);
      soon();
    },
    onGap: soon,
    onState: (s) => {
      feedState = s;
      indicate();
      pollMs = s === 'live' ? 5000 : 2000;
      if (s === 'live') soon(); // catch up on anything missed while disconnected
    },
  });
  const nav = h(
    'nav',
    { 'aria-label': 'Main' },
    h('a', { href: '#/' }, session.admin ? 'Fleet' : 'Overview'),
    h('a', { href: '#/vms' }, 'VMs'),
    !session.admin && h('a', { href: '#/create' }, 'Create'),
  );
  const who = h('span', { class: 'who', 'data-testid': 'who' }, session.admin ? 'admin' : 'tenant');
  const out = h('button', { type: 'button', onclick: () => location.reload() }, 'Sign out');
  replace(
    root,
    h(
      'header',
      {},
      h('a', { class: 'skip', href: '#main', onclick: skip }, 'Skip to content'),
      h('strong', {}, 'vmpool'),
      nav,
      live,
      who,
      out,
    ),
    problem,
    main,
  );
  window.addEventListener('hashchange', show);
  feed.start();
  const tick = () => setTimeout(() => void refresh().then(() => tick()), pollMs);
  tick();
  show();
}

function skip(e: Event): void {
  e.preventDefault();
  document.getElementById('main')?.focus();
}

/** loginForm asks for an admin or tenant token; the token stays in this page's memory only. */
function loginForm(root: HTMLElement): void {
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'off', required: true });
  const status = h('p', { role: 'alert', class: 'error', 'data-testid': 'login-error' });
  const form = h(
    'form',
    {
      class: 'login',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        try {
          start(root, await login(input.value.trim()));
        } catch (err) {
          replace(status, errorText(err));
        }
      },
    },
    h('h1', {}, 'vmpool'),
    h('label', { for: 'token' }, 'Admin or tenant token'),
    input,
    h('button', { type: 'submit' }, 'Sign in'),
    status,
    h('p', { class: 'hint' }, 'The token is kept in this tab’s memory only; reloading signs out.'),
  );
  replace(root, h('main', {}, form));
  input.focus();
}

loginForm(document.getElementById('app')!);

function navigate(route: string): void {
  location.hash = route;
}
