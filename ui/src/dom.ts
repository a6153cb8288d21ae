/** A child h() accepts: nodes, text (always as text, never parsed as HTML), or nothing. */
export type Child = Node | string | number | null | undefined | false;

/** Children is a child or any nesting of arrays of them. */
export type Children = Child | Children[];

/** Attrs are element attributes; `on*` functions become event listeners, `false`/undefined are left out. */
export type Attrs = Record<string, string | number | boolean | undefined | ((ev: Event) => void)>;

/** h builds an element. Text goes in through text nodes only, so server data can never become markup. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Children[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else if (v !== false && v !== undefined) el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

/** append adds children (flattening arrays) to a parent. */
export function append(parent: Node, children: Children[]): void {
  for (const c of children) {
    if (Array.isArray(c)) {
      append(parent, c);
      continue;
    }
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

/** replace empties a parent and fills it with new children. */
export function replace(parent: Element, ...children: Children[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** gib formats MiB as GiB with one decimal. */
export function gib(mb: number): string {
  return `${(mb / 1024).toFixed(1)} GiB`;
}

/** ago says how long ago an ISO time was, in seconds or minutes. */
export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 120 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}

/** bar is a labelled meter: value of max, with the figures as text beside it. */
export function bar(label: string, value: number, max: number, text: string): HTMLElement {
  return h(
    'div',
    { class: 'bar' },
    h('span', { class: 'bar-label' }, label),
    h('meter', { min: 0, max: Math.max(max, 1), value, 'aria-label': `${label}: ${text}` }),
    h('span', { class: 'bar-text' }, text),
  );
}

/** link is an in-page link to a hash route. */
export function link(route: string, text: string, attrs: Attrs = {}): HTMLAnchorElement {
  return h('a', { href: `#${route}`, ...attrs }, text);
}
