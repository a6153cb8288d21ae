import type { VmView } from '../../api/vms.js';
import { h, link, replace } from './dom.js';
import { vmTable } from './vm-table.js';
import type { View, ViewContext } from './view.js';

/** vmsView lists the caller's VMs (all of them for the admin) with name, state and node filters. */
export function vmsView(ctx: ViewContext): View {
  let vms: VmView[] = [];
  const text = h('input', { id: 'f-name', type: 'search', placeholder: 'name or tag' });
  const state = h('select', { id: 'f-state' }, h('option', { value: '' }, 'any'));
  const node = h('select', { id: 'f-node' }, h('option', { value: '' }, 'any'));
  const list = h('div', { 'aria-live': 'polite' });
  const filters = h(
    'form',
    { class: 'filters', role: 'search', onsubmit: (e: Event) => e.preventDefault() },
    h('label', { for: 'f-name' }, 'Name'),
    text,
    h('label', { for: 'f-state' }, 'State'),
    state,
    h('label', { for: 'f-node' }, 'Node'),
    node,
  );
  const draw = () => {
    const q = text.value.trim().toLowerCase();
    const shown = vms.filter(
      (v) =>
        (!q || v.name.includes(q) || v.tags.some((t) => t.toLowerCase().includes(q))) &&
        (!state.value || v.state === state.value) &&
        (!node.value || v.node_id === node.value),
    );
    replace(list, vmTable(shown, ctx.session.admin));
  };
  for (const f of [text, state, node]) f.addEventListener('input', draw);
  const el = h(
    'section',
    { 'aria-labelledby': 'vms-h' },
    h('h1', { id: 'vms-h' }, 'VMs'),
    !ctx.session.admin && h('p', {}, link('/create', 'Create a VM', { class: 'button' })),
    filters,
    list,
  );
  return {
    title: 'VMs',
    el,
    async refresh() {
      vms = (await ctx.session.client.listVms()).vms;
      options(
        state,
        vms.map((v) => v.state),
      );
      options(
        node,
        vms.map((v) => v.node_id ?? ''),
      );
      draw();
    },
  };
}

/** options keeps a select's choices equal to the values seen, keeping the current choice. */
function options(select: HTMLSelectElement, values: string[]): void {
  const keep = select.value;
  const want = ['', ...[...new Set(values.filter(Boolean))].sort()];
  replace(
    select,
    want.map((v) => h('option', { value: v }, v || 'any')),
  );
  select.value = want.includes(keep) ? keep : '';
}
