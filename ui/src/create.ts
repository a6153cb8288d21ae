import type { DryRunResult } from '../../api/placement.js';
import type { CreateVmBody } from '../../api/vms.js';
import { h, replace } from './dom.js';
import { errorText } from './session.js';
import type { View, ViewContext } from './view.js';

/** createView is the create form; every change asks for a dry run and explains where the VM would go. */
export function createView(ctx: ViewContext): View {
  const f = {
    name: field('c-name', 'Name', { value: 'web-1', required: true, pattern: '[a-z0-9][a-z0-9\\-]{0,39}' }),
    vcpu: field('c-vcpu', 'vCPUs', { type: 'number', min: 1, max: 512, value: 2 }),
    mem: field('c-mem', 'Memory (MiB)', { type: 'number', min: 64, step: 64, value: 2048 }),
    disk: field('c-disk', 'Disk (GiB)', { type: 'number', min: 1, value: 10 }),
    image: field('c-image', 'Base image', { value: 'debian', required: true }),
    group: field('c-group', 'Anti-affinity group (optional)', {}),
  };
  const policy = h(
    'select',
    { id: 'c-policy' },
    h('option', { value: 'dedicated' }, 'dedicated'),
    h('option', { value: 'shared' }, 'shared'),
  );
  const kvm = h('input', { id: 'c-kvm', type: 'checkbox' });
  const reserved = h('input', { id: 'c-reserved', type: 'checkbox', checked: true });
  const explain = h('div', { class: 'explain', 'data-testid': 'dry-run', 'aria-live': 'polite' });
  const status = h('p', { role: 'status', 'data-testid': 'create-status' });
  const body = (): CreateVmBody => ({
    name: f.name.input.value,
    vcpu_count: Number(f.vcpu.input.value),
    memory_mb: Number(f.mem.input.value),
    disk_size_gb: Number(f.disk.input.value),
    image: f.image.input.value,
    placement: {
      cpu_policy: policy.value as 'dedicated' | 'shared',
      requires_kvm: kvm.checked,
      allow_reserved: reserved.checked,
      ...(f.group.input.value ? { anti_affinity_group: f.group.input.value } : {}),
    },
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let asked = 0;
  const dryRun = async () => {
    const n = ++asked;
    try {
      const r = await ctx.session.client.dryRun(body());
      if (n === asked) replace(explain, explanation(r));
    } catch (err) {
      if (n === asked) replace(explain, h('p', { class: 'error' }, errorText(err)));
    }
  };
  const form = h(
    'form',
    {
      class: 'create',
      oninput: () => {
        clearTimeout(timer);
        timer = setTimeout(dryRun, 250);
      },
      onsubmit: async (e: Event) => {
        e.preventDefault();
        replace(status, 'Creating…');
        try {
          const vm = await ctx.session.client.createVm(body(), { wait: false });
          ctx.go(`/vms/${vm.id}`);
        } catch (err) {
          replace(status, h('span', { class: 'error' }, errorText(err)));
        }
      },
    },
    Object.values(f).map((x) => x.wrap),
    h('div', { class: 'field' }, h('label', { for: 'c-policy' }, 'CPU policy'), policy),
    h('div', { class: 'field check' }, kvm, h('label', { for: 'c-kvm' }, 'Requires KVM')),
    h(
      'div',
      { class: 'field check' },
      reserved,
      h('label', { for: 'c-reserved' }, 'Allow reserved nodes (pass 2)'),
    ),
    h('button', { type: 'submit' }, 'Create'),
    status,
  );
  const el = h(
    'section',
    { 'aria-labelledby': 'create-h' },
    h('h1', { id: 'create-h' }, 'Create a VM'),
    h('div', { class: 'split' }, form, explain),
  );
  return {
    title: 'Create a VM',
    el,
    refresh: async () => {
      if (!explain.hasChildNodes()) await dryRun();
    },
    close: () => clearTimeout(timer),
  };
}

function field(id: string, label: string, attrs: Record<string, string | number | boolean>) {
  const input = h('input', { id, name: id, ...attrs });
  return { input, wrap: h('div', { class: 'field' }, h('label', { for: id }, label), input) };
}

function explanation(r: DryRunResult): HTMLElement {
  if ('redacted' in r) {
    // a tenant's answer: the verdict and one sentence (no nodes, pins or occupancy)
    const text = r.ok ? `Would fit: ${r.reason.replace(/^fits: /, '')}.` : `Would not fit: ${r.reason}.`;
    const p = h('p', { class: r.ok ? 'ok' : 'error', 'data-testid': 'dry-run-decision' }, text);
    return h('div', {}, h('h2', {}, 'Placement dry run'), p);
  }
  const passes = r.passes.map((p) =>
    h(
      'li',
      {},
      `Pass ${p.pass}: ${p.ran ? `${p.candidates.length} candidate(s)${p.candidates.length ? ` (${p.candidates.join(', ')})` : ''}` : 'not run'}`,
      p.rejected.length > 0 &&
        h(
          'ul',
          {},
          p.rejected.map((x) => h('li', {}, `${x.node_id}: ${x.reason} — ${x.detail}`)),
        ),
    ),
  );
  const head = r.ok
    ? h(
        'p',
        { class: 'ok', 'data-testid': 'dry-run-decision' },
        `Would place on ${r.decision.node_id}, NUMA node ${r.decision.numa_node} (pass ${r.decision.pass}): vCPUs on threads ${r.decision.vcpu_pins.join(',')}, emulator on ${r.decision.emulator_cpuset.join(',')}, memory strict on node ${r.decision.memory_nodeset}.`,
      )
    : h('p', { class: 'error', 'data-testid': 'dry-run-decision' }, 'No node can take this VM now.');
  return h('div', {}, h('h2', {}, 'Placement dry run'), head, h('ol', {}, passes));
}
