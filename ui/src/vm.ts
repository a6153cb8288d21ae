import { ApiError } from '../../api/errors.js';
import { type VmView, vmStateText } from '../../api/vms.js';
import { gib, h, link, replace } from './dom.js';
import type { LiveEvent } from './live.js';
import { errorText, type PowerOp, power } from './session.js';
import type { View, ViewContext } from './view.js';

/** vmView is one VM: placement, pins, state, live stats, its events, and destroy with confirmation. */
export function vmView(ctx: ViewContext, id: string): View {
  const el = h('section', { 'aria-labelledby': 'vm-h' });
  // a live refresh redraws the page: the destroy form keeps whether it is open and what was typed
  const confirmState: ConfirmState = { open: false, typed: '', busy: false, gone: false };
  const drawGone = () =>
    replace(el, h('h1', { id: 'vm-h' }, 'VM gone'), h('p', {}, 'No such VM (destroyed, or not yours).'));
  const events = h('ol', { class: 'events', 'data-testid': 'vm-events' });
  const drawEvents = () =>
    replace(
      events,
      ctx.events
        .filter((e) => vmIdOf(e) === id)
        .slice(-50)
        .map((e) => h('li', {}, `${e.ts.slice(11, 19)} ${e.type}${detail(e)}`)),
    );
  return {
    title: 'VM',
    el,
    async refresh() {
      // a VM being destroyed from this page, or seen destroyed, is not asked for again (it would 404)
      if (confirmState.gone) return drawGone();
      if (confirmState.busy) return;
      let vm: VmView;
      try {
        vm = await ctx.session.client.getVm(id);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) {
          confirmState.gone = true;
          return drawGone();
        }
        throw err;
      }
      drawEvents();
      replace(
        el,
        h(
          'h1',
          { id: 'vm-h' },
          vm.name,
          ' ',
          h('span', { class: `pill state-${vm.state}`, 'data-testid': 'vm-state' }, vmStateText(vm)),
        ),
        facts(vm, ctx.session.admin),
        h('h2', {}, 'vCPU pins'),
        pins(vm),
        h('h2', {}, 'Live stats (from heartbeats)'),
        stats(vm),
        h('h2', {}, 'Events'),
        events,
        h('h2', {}, 'Actions'),
        powerButtons(ctx, vm),
        destroy(ctx, vm, confirmState),
      );
    },
    onEvent(e: LiveEvent) {
      if (vmIdOf(e) !== id) return;
      if (e.type === 'vm.destroyed') confirmState.gone = true;
      drawEvents();
    },
  };
}

function facts(vm: VmView, admin: boolean): HTMLElement {
  const node = vm.node_id ? (admin ? link(`/nodes/${vm.node_id}`, vm.node_id) : vm.node_id) : '—';
  const rows: [string, Node | string][] = [
    ['State', vmStateText(vm)],
    ['Node', node],
    ['NUMA node', vm.numa_node === null ? '—' : String(vm.numa_node)],
    ['Placement pass', vm.placement_pass === null ? '—' : String(vm.placement_pass)],
    ['CPU policy', vm.cpu_policy ?? '—'],
    ['vCPUs / memory', `${vm.vcpu_count ?? '—'} / ${vm.memory_mb === null ? '—' : gib(vm.memory_mb)}`],
    ['Memory binding', vm.memory_nodeset === null ? '—' : `strict, nodeset ${vm.memory_nodeset}`],
    ['Emulator threads', vm.emulator_cpuset.join(',') || '—'],
    ['VMID', `${vm.vmid}${vm.band ? ` (band ${vm.band})` : ''}`],
    ['Domain', vm.domain_name],
    ['Tags', vm.tags.join(', ') || '—'],
    ['Created', vm.created_at],
  ];
  return h(
    'dl',
    { class: 'facts', 'data-testid': 'vm-facts' },
    rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
  );
}

function pins(vm: VmView): HTMLElement {
  if (vm.vcpu_pins.length === 0) return h('p', {}, 'Not pinned yet.');
  return h(
    'ol',
    { class: 'pins', start: 0, 'data-testid': 'vm-pins' },
    vm.vcpu_pins.map((t, i) => h('li', { 'data-vcpu': i }, `vCPU ${i} → thread ${t}`)),
  );
}

function stats(vm: VmView): HTMLElement {
  if (!vm.stats) return h('p', {}, 'No heartbeat figures yet.');
  return h(
    'dl',
    { class: 'facts' },
    Object.entries(vm.stats).map(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))]),
  );
}

/** ConfirmState is the destroy form's state that must outlive a redraw of the VM page. */
interface ConfirmState {
  open: boolean;
  typed: string;
  /** busy: a destroy from this page is under way (refreshes keep the page as it is) */
  busy: boolean;
  /** gone: the VM was destroyed (here or elsewhere); the page stops asking for it */
  gone: boolean;
}

function destroy(ctx: ViewContext, vm: VmView, st: ConfirmState): HTMLElement {
  const box = h('div', { class: 'danger' });
  const status = h('p', { role: 'status' });
  const input = h('input', { id: 'confirm-name', autocomplete: 'off' });
  input.value = st.typed;
  const confirm = h('button', { type: 'submit', class: 'danger', disabled: true }, 'Destroy for good');
  confirm.disabled = st.typed !== vm.name;
  input.addEventListener('input', () => {
    st.typed = input.value;
    confirm.disabled = input.value !== vm.name;
  });
  const form = h(
    'form',
    {
      hidden: !st.open,
      onsubmit: async (e: Event) => {
        e.preventDefault();
        confirm.disabled = true;
        st.busy = true;
        try {
          await ctx.session.client.destroyVm(vm.id);
          st.gone = true;
          ctx.go('/vms');
        } catch (err) {
          replace(status, errorText(err));
        } finally {
          st.busy = false;
        }
      },
    },
    h('label', { for: 'confirm-name' }, `Type ${vm.name} to confirm`),
    input,
    confirm,
  );
  const start = h(
    'button',
    {
      type: 'button',
      class: 'danger',
      onclick: () => {
        st.open = true;
        reveal(form, input);
      },
    },
    'Destroy…',
  );
  replace(box, start, form, status);
  if (st.open) queueMicrotask(() => input.focus()); // typing goes on in the redrawn field
  return box;
}

function detail(e: LiveEvent): string {
  const keys = ['node_id', 'numa_node', 'via', 'code', 'reason', 'op', 'state', 'attempt'] as const;
  const r = e as unknown as Record<string, unknown>;
  const parts = keys.filter((k) => r[k] !== undefined && r[k] !== null).map((k) => `${k}=${String(r[k])}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

function reveal(form: HTMLFormElement, input: HTMLInputElement): void {
  form.hidden = false;
  input.focus();
}

/** vmIdOf is the VM an event is about, or undefined for node events. */
function vmIdOf(e: LiveEvent): string | undefined {
  return 'vm_id' in e ? e.vm_id : undefined;
}

/** powerButtons offers stop, start and reboot as the VM's state allows; the answer shows in a status line. */
function powerButtons(ctx: ViewContext, vm: VmView): HTMLElement {
  const status = h('p', { role: 'status', 'data-testid': 'power-status' });
  const can: Record<PowerOp, boolean> = {
    // a paused VM can be resumed (start) or forced off (stop); reboot is stop then start
    stop: vm.state === 'running' || vm.state === 'paused',
    start: vm.state === 'stopped' || vm.state === 'paused',
    reboot: vm.state === 'running' || vm.state === 'paused',
  };
  const button = (op: PowerOp, label: string) =>
    h(
      'button',
      {
        type: 'button',
        disabled: !can[op],
        onclick: async (e: Event) => {
          (e.currentTarget as HTMLButtonElement).disabled = true;
          replace(status, `${label}…`);
          try {
            const after = await power(ctx.session, vm.id, op);
            replace(status, `${label}: ${after.state}`);
          } catch (err) {
            replace(status, h('span', { class: 'error' }, errorText(err)));
          }
        },
      },
      label,
    );
  return h(
    'div',
    { class: 'power' },
    button('stop', 'Stop'),
    button('start', 'Start'),
    button('reboot', 'Reboot'),
    status,
  );
}
