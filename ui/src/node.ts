import type { NodeDetail } from '../../api/fleet.js';
import type { VmView } from '../../api/vms.js';
import { ago, bar, gib, h, replace } from './dom.js';
import { type CoreCell, cores, describe, holders, type ThreadHolder, vmKeys } from './pinmap.js';
import type { View, ViewContext } from './view.js';

/** nodeView is one node: its figures, per-NUMA memory bars and the per-thread pin map. */
export function nodeView(ctx: ViewContext, id: string): View {
  const el = h('section', { 'aria-labelledby': 'node-h' });
  const panel = h('p', { class: 'thread-panel', 'data-testid': 'thread-panel', 'aria-live': 'polite' });
  return {
    title: `Node ${id}`,
    el,
    async refresh() {
      const [node, vms] = await Promise.all([
        ctx.session.client.getNode(id),
        ctx.session.client.listVms().then((r) => r.vms),
      ]);
      const threads = holders(node, vms);
      const keys = vmKeys(threads);
      replace(
        el,
        h('h1', { id: 'node-h' }, `Node ${node.id}`),
        summary(node),
        h('h2', {}, 'Memory per NUMA node'),
        node.numa.map((n) =>
          bar(
            `NUMA ${n.numa_node}`,
            n.memory_mb - n.memory_free_mb,
            n.memory_mb,
            `${gib(n.memory_mb - n.memory_free_mb)} of ${gib(n.memory_mb)} held`,
          ),
        ),
        h('h2', { id: 'pinmap-h' }, 'Pin map'),
        legend(keys, node, vms),
        panel,
        pinMap(cores(threads), keys, panel),
      );
    },
  };
}

function summary(n: NodeDetail): HTMLElement {
  const rows: [string, string][] = [
    ['State', n.state],
    ['Host', `${n.hostname} · ${n.cpu_model}`],
    ['Virtualisation', n.kvm ? 'KVM' : 'TCG (no KVM)'],
    ['Placement', n.reserved ? 'reserved (pass 2 only)' : 'pass 1'],
    ['vCPU', `${n.vcpu_used} of ${n.vcpu_total} used, ${n.vcpu_available} available`],
    ['RAM', `${gib(n.ram_used_mb)} of ${gib(n.ram_total_mb)} used`],
    ['Last seen', `${ago(n.last_seen)} (heartbeat every ${n.heartbeat_interval_ms} ms)`],
  ];
  return h(
    'dl',
    { class: 'facts', 'data-testid': 'node-summary' },
    rows.map(([k, v]) => [h('dt', {}, k), h('dd', { 'data-fact': k }, v)]),
  );
}

function legend(keys: Map<string, string>, node: NodeDetail, vms: VmView[]): HTMLElement {
  const onNode = new Map(vms.filter((v) => v.node_id === node.id).map((v) => [v.name, v]));
  const items = [...keys].map(([name, key]) => {
    const vm = onNode.get(name);
    const what = vm ? `${vm.vcpu_count} vCPU, emulator ${vm.emulator_cpuset.join(',') || '—'}` : '';
    return h('li', {}, h('span', { class: `swatch vm-${colour(key)}` }, key), ` ${name} ${what}`);
  });
  return h(
    'ul',
    { class: 'legend', 'aria-label': 'Pin map legend' },
    items,
    h('li', {}, h('span', { class: 'swatch emulator' }, 'E'), ' emulator threads'),
    h('li', {}, h('span', { class: 'swatch reserved' }, 'R'), ' host-reserved'),
    h('li', {}, h('span', { class: 'swatch free' }, '·'), ' free'),
  );
}

function pinMap(cells: CoreCell[], keys: Map<string, string>, panel: HTMLElement): HTMLElement {
  const groups = new Map<string, CoreCell[]>();
  for (const c of cells)
    groups.set(`${c.socket}/${c.numa}`, [...(groups.get(`${c.socket}/${c.numa}`) ?? []), c]);
  return h(
    'div',
    { class: 'pinmap', 'data-testid': 'pinmap', 'aria-labelledby': 'pinmap-h' },
    [...groups].map(([g, cs]) => {
      const [socket, numa] = g.split('/');
      return h(
        'figure',
        { class: 'numa', 'data-numa': numa! },
        h('figcaption', {}, `Socket ${socket} · NUMA node ${numa}`),
        h(
          'div',
          { class: 'cores', role: 'list' },
          cs.map((c) => coreBox(c, keys, panel)),
        ),
      );
    }),
  );
}

function coreBox(c: CoreCell, keys: Map<string, string>, panel: HTMLElement): HTMLElement {
  return h(
    'div',
    { class: 'core', role: 'listitem', 'aria-label': `core ${c.core}` },
    c.threads.map((t) => threadCell(t, keys, panel)),
  );
}

function threadCell(t: ThreadHolder, keys: Map<string, string>, panel: HTMLElement): HTMLElement {
  const owner = t.vcpus[0]?.vm ?? t.emulatorOf[0];
  const key =
    t.kind === 'vm' ? keys.get(owner!)! : t.kind === 'emulator' ? 'E' : t.kind === 'reserved' ? 'R' : '·';
  const text = describe(t);
  const show = () => replace(panel, text);
  return h(
    'button',
    {
      type: 'button',
      class: `thread ${t.kind === 'vm' ? `vm-${colour(key)}` : t.kind}`,
      'data-thread': t.thread.id,
      'data-kind': t.kind,
      'data-holder': t.kind === 'vm' ? t.vcpus.map((v) => v.vm).join(',') : t.kind,
      'data-emulator-of': t.emulatorOf.join(','),
      'data-vcpu': t.vcpus.map((v) => v.vcpu).join(','),
      'aria-label': text,
      title: text,
      onfocus: show,
      onmouseenter: show,
    },
    h('span', { class: 'tid' }, t.thread.id),
    h('span', { class: 'key', 'aria-hidden': 'true' }, key),
  );
}

/** colour picks one of eight palette slots from a VM key so each VM keeps its colour. */
function colour(key: string): number {
  let n = 0;
  for (const ch of key) n = n * 26 + ch.charCodeAt(0) - 65;
  return n % 8;
}
